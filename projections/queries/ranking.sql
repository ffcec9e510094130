-- The listening-akimat ranking as it stood at the end of {today}, a Kazakh legal date (README: the
-- ranking's figures). Each appeal counts in its latest version with valid_on <= {today} (table
-- appeal_versions, below), so a day's ranking is the same whenever it is asked. {stage} chooses whose
-- handling is counted: 'body', the appeals received in [from, to] and the receiving bodies' term,
-- first answer and its rating; 'centre', the appeals escalated to the centre in [from, to] and the
-- centre's term and the first answer of its handling. Grouped by {by}; optionally of one region;
-- of the caller's regions when it is a regional monitor. Every date is a parameter: none comes
-- from the server's clock or time zone.
SELECT
    {by:Identifier}                                                                AS key,
    count()                                                                        AS filed,
    countIf(answer_on IS NOT NULL)                                                 AS answered,
    answered / filed                                                               AS response_rate,
    if(countIf(term_ended) = 0, NULL, countIf(term_ended AND answer_on IS NOT NULL) / countIf(term_ended)) AS response_rate_due,
    if(answered = 0, NULL, countIf(answer_on IS NOT NULL AND answer_on_time) / answered) AS on_time_rate,
    countIf(answer_satisfied IS NOT NULL)                                          AS rated,
    if(rated = 0, NULL, countIf(answer_satisfied = false) / rated)                 AS dissatisfied_share,
    countIf(escalated_on)                                                          AS escalated,
    escalated / filed                                                              AS escalation_share,
    countIf(escalated_on AND escalation_by = 'citizen')                            AS escalated_by_citizen,
    countIf(escalated_on AND escalation_by = 'system')                             AS escalated_by_system,
    countIf(is_overdue)                                                            AS overdue,
    sum(late_notice_count)                                                         AS late_notices,
    countIf(reopened > 0)                                                          AS reopened,
    quantileExactInclusive(0.5)(answer_working_days)                               AS median_response_working_days
FROM (
    -- One stage's figures under stage-neutral names; {stage} is a constant, so each if() is one branch.
    SELECT
        -- The body stage's figures are the body's that held it (stage_body; NULL in rows folded before 011).
        region, if({stage:String} = 'centre', body, ifNull(stage_body, body)) AS body, category, reopened,
        if({stage:String} = 'centre', centre_answered_on, body_answered_on)          AS answer_on,
        if({stage:String} = 'centre', centre_on_time, body_on_time)                  AS answer_on_time,
        if({stage:String} = 'centre', centre_satisfied, body_satisfied)              AS answer_satisfied,
        if({stage:String} = 'centre', centre_response_working_days, response_working_days) AS answer_working_days,
        -- Withdrawn appeals leave the denominator: nobody is owed an answer to them.
        status != 'withdrawn'
            AND if({stage:String} = 'centre', centre_due_on, body_due_on) <= {today:Date32} AS term_ended,
        -- The body's: escalated to the centre at all; the centre's: escalated again after it took the appeal.
        if({stage:String} = 'centre', escalations > 1, centre_received_on IS NOT NULL) AS escalated_on,
        if({stage:String} = 'centre', last_escalated_by, escalated_by)               AS escalation_by,
        -- Still with that stage, never answered in it, its term and the current one passed (a reopened
        -- appeal was answered, so it is never answered and overdue at once).
        due_on < {today:Date32} AND if({stage:String} = 'centre',
            stage = 'centre' AND status IN ('open', 'escalated') AND centre_answered_on IS NULL AND centre_due_on < {today:Date32},
            stage = 'body' AND status = 'open' AND body_answered_on IS NULL AND body_due_on < {today:Date32}) AS is_overdue,
        -- Notices given late, and those still owed whose due day has passed.
        if({stage:String} = 'centre', centre_late_notices, body_late_notices)
            + arrayCount(n -> tupleElement(n, 3) = {stage:String} AND tupleElement(n, 2) < {today:Date32}, notices_owed) AS late_notice_count
    FROM (
        -- Each appeal as it stood at the end of {today}: its latest version with valid_on <= {today}.
        -- An appeal whose latest act came on or before {today} stood then as it stands now, so its
        -- current state (appeals, the same fold's last version) is read instead; only the appeals
        -- changed since need their versions, picked with LIMIT 1 BY, right before merges too. So
        -- today's ranking costs about what a ranking of the current state does.
        -- A stage's receipt day never changes once set (centre_received_on is NULL until the first
        -- escalation), so the period is filtered before the version is picked: the same appeals, less read.
        SELECT appeal_id, region, body, category, status, stage, due_on, reopened, escalations,
               response_working_days, body_due_on, body_answered_on, body_on_time, body_satisfied,
               centre_received_on, centre_due_on, centre_answered_on, centre_on_time, centre_satisfied,
               centre_response_working_days, escalated_by, last_escalated_by, notices_owed,
               body_late_notices, centre_late_notices, stage_body
        FROM appeals FINAL
        WHERE ifNull(last_on <= {today:Date32}, false)
          AND if({stage:String} = 'centre', centre_received_on, received_on) BETWEEN {from:Date32} AND {to:Date32}
          AND ({region:String} = '' OR region = {region:String})
          AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
        UNION ALL
        SELECT * FROM (
            SELECT appeal_id, region, body, category, status, stage, due_on, reopened, escalations,
                   response_working_days, body_due_on, body_answered_on, body_on_time, body_satisfied,
                   centre_received_on, centre_due_on, centre_answered_on, centre_on_time, centre_satisfied,
                   centre_response_working_days, escalated_by, last_escalated_by, notices_owed,
                   body_late_notices, centre_late_notices, stage_body
            FROM appeal_versions
            WHERE valid_on <= {today:Date32}
              AND if({stage:String} = 'centre', centre_received_on, received_on) BETWEEN {from:Date32} AND {to:Date32}
              AND ({region:String} = '' OR region = {region:String})
              AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
              AND appeal_id IN (
                  SELECT appeal_id FROM appeals FINAL
                  WHERE NOT ifNull(last_on <= {today:Date32}, false)
                    AND if({stage:String} = 'centre', centre_received_on, received_on) BETWEEN {from:Date32} AND {to:Date32}
                    AND ({region:String} = '' OR region = {region:String})
                    AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region)))
            -- The key read backwards: the latest version of each appeal comes first, with no sort.
            ORDER BY appeal_id DESC, sequence DESC
            LIMIT 1 BY appeal_id
        )
    )
)
GROUP BY key
ORDER BY response_rate DESC, on_time_rate DESC, key ASC

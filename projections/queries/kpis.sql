-- KPIs (national, or of the listed regions) as they stood at the end of {today}, a Kazakh legal date,
-- over appeals received in [from, to]: the ranking's figures of the receiving bodies' handling
-- (queries/ranking.sql with stage 'body'), without grouping. Each appeal counts in its latest
-- version with valid_on <= {today} (table appeal_versions, below).
SELECT
    count()                                                                        AS filed,
    countIf(body_answered_on IS NOT NULL)                                          AS answered,
    if(filed = 0, NULL, answered / filed)                                          AS response_rate,
    if(countIf(term_ended) = 0, NULL, countIf(term_ended AND body_answered_on IS NOT NULL) / countIf(term_ended)) AS response_rate_due,
    if(answered = 0, NULL, countIf(body_answered_on IS NOT NULL AND body_on_time) / answered) AS on_time_rate,
    countIf(body_satisfied IS NOT NULL)                                            AS rated,
    if(rated = 0, NULL, countIf(body_satisfied = false) / rated)                   AS dissatisfied_share,
    countIf(centre_received_on IS NOT NULL)                                        AS escalated,
    if(filed = 0, NULL, escalated / filed)                                         AS escalation_share,
    countIf(centre_received_on IS NOT NULL AND escalated_by = 'citizen')           AS escalated_by_citizen,
    countIf(centre_received_on IS NOT NULL AND escalated_by = 'system')            AS escalated_by_system,
    countIf(is_overdue)                                                            AS overdue,
    sum(late_notice_count)                                                         AS late_notices,
    countIf(reopened > 0)                                                          AS reopened,
    quantileExactInclusive(0.5)(response_working_days)                             AS median_response_working_days
FROM (
    SELECT
        reopened, response_working_days, body_answered_on, body_on_time, body_satisfied, centre_received_on, escalated_by,
        -- Withdrawn appeals leave the denominator: nobody is owed an answer to them.
        status != 'withdrawn' AND body_due_on <= {today:Date32}                     AS term_ended,
        -- Still with the body, never answered by it, its term and the current one passed.
        status = 'open' AND stage = 'body' AND body_answered_on IS NULL
            AND body_due_on < {today:Date32} AND due_on < {today:Date32}            AS is_overdue,
        body_late_notices
            + arrayCount(n -> tupleElement(n, 3) = 'body' AND tupleElement(n, 2) < {today:Date32}, notices_owed) AS late_notice_count
    FROM (
        -- Each appeal as it stood at the end of {today}, as in queries/ranking.sql: the current state of
        -- those whose latest act came on or before {today}, the latest version valid then of the others.
        SELECT appeal_id, status, stage, due_on, reopened, response_working_days, body_due_on, body_answered_on,
               body_on_time, body_satisfied, centre_received_on, escalated_by, notices_owed, body_late_notices
        FROM appeals FINAL
        WHERE ifNull(last_on <= {today:Date32}, false)
          AND received_on BETWEEN {from:Date32} AND {to:Date32}
          AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
        UNION ALL
        SELECT * FROM (
            SELECT appeal_id, status, stage, due_on, reopened, response_working_days, body_due_on, body_answered_on,
                   body_on_time, body_satisfied, centre_received_on, escalated_by, notices_owed, body_late_notices
            FROM appeal_versions
            WHERE valid_on <= {today:Date32}
              AND received_on BETWEEN {from:Date32} AND {to:Date32}
              AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
              AND appeal_id IN (
                  SELECT appeal_id FROM appeals FINAL
                  WHERE NOT ifNull(last_on <= {today:Date32}, false)
                    AND received_on BETWEEN {from:Date32} AND {to:Date32}
                    AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region)))
            ORDER BY appeal_id DESC, sequence DESC
            LIMIT 1 BY appeal_id
        )
    )
)

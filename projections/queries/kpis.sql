-- KPIs (national, or of the listed regions) over appeals received in [from, to]: the ranking's figures without grouping.
SELECT
    count()                                                                  AS filed,
    countIf(answered_at IS NOT NULL)                                         AS answered,
    if(filed = 0, NULL, answered / filed)                                    AS response_rate,
    if(answered = 0, NULL, countIf(on_time) / answered)                      AS on_time_rate,
    countIf(ratings > 0)                                                     AS rated,
    if(rated = 0, NULL, countIf(ratings > 0 AND satisfied = false) / rated)  AS dissatisfied_share,
    countIf(escalations > 0)                                                 AS escalated,
    if(filed = 0, NULL, escalated / filed)                                   AS escalation_share,
    countIf(status IN ('open', 'escalated') AND due_on < {today:Date32})       AS overdue,
    quantileExactInclusive(0.5)(response_working_days)                       AS median_response_working_days
FROM appeals FINAL
WHERE received_on BETWEEN {from:Date32} AND {to:Date32}
  AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))

-- The listening-akimat ranking: appeals received in [from, to] (optionally of one region; of the caller's regions when it is a regional monitor), grouped by {by}.
SELECT
    {by:Identifier}                                                    AS key,
    count()                                                            AS filed,
    countIf(answered_at IS NOT NULL)                                   AS answered,
    answered / filed                                                   AS response_rate,
    if(answered = 0, NULL, countIf(on_time) / answered)                AS on_time_rate,
    countIf(ratings > 0)                                                     AS rated,
    if(rated = 0, NULL, countIf(ratings > 0 AND satisfied = false) / rated)            AS dissatisfied_share,
    countIf(escalations > 0)                                           AS escalated,
    escalated / filed                                                  AS escalation_share,
    countIf(status IN ('open', 'escalated') AND due_on < {today:Date32}) AS overdue,
    quantileExactInclusive(0.5)(response_working_days)                 AS median_response_working_days
FROM appeals FINAL
WHERE received_on BETWEEN {from:Date32} AND {to:Date32}
  AND ({region:String} = '' OR region = {region:String})
  AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
GROUP BY key
ORDER BY response_rate DESC, on_time_rate DESC, key ASC

-- Every appeal's projected state and event count, for comparison with the fold of the log.
SELECT coalesce(a.appeal_id, e.appeal_id) AS appeal_id, a.sequence AS sequence, a.last_hash AS last_hash, a.status AS status,
       a.region AS region, a.body AS body, a.due_on AS due_on, a.answered_on AS answered_on,
       a.on_time AS on_time, a.escalations AS escalations, a.ratings AS ratings, a.satisfied AS satisfied,
       e.events AS events, e.max_sequence AS max_sequence
FROM appeals AS a FINAL
FULL OUTER JOIN (
    SELECT appeal_id, count() AS events, max(sequence) AS max_sequence FROM appeal_events FINAL GROUP BY appeal_id
) AS e ON a.appeal_id = e.appeal_id
ORDER BY appeal_id
LIMIT {limit:UInt32} OFFSET {offset:UInt64}
SETTINGS join_use_nulls = 1

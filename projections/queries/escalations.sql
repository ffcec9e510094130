-- The latest escalations to the centre, newest first.
SELECT appeal_id, region, body, recorded_at, occurred_at,
       JSONExtractString(payload, 'reason') AS reason, JSONExtractString(payload, 'by') AS by
FROM appeal_events FINAL
WHERE event_type = 'escalated'
  AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
ORDER BY recorded_at DESC
LIMIT {limit:UInt32}

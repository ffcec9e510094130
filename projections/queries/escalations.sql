-- The latest escalations to the centre, newest first, of the appeals received from {from} to {to}
-- (Kazakh legal dates of receipt, as the ranking counts them; of the listed regions, all when none is).
SELECT appeal_id, region, body, recorded_at, occurred_at,
       JSONExtractString(payload, 'reason') AS reason, JSONExtractString(payload, 'by') AS by
FROM appeal_events FINAL
WHERE event_type = 'escalated'
  AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
  AND appeal_id IN (
      SELECT appeal_id FROM appeals FINAL
      WHERE received_on BETWEEN {from:Date32} AND {to:Date32}
        AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region)))
ORDER BY recorded_at DESC
LIMIT {limit:UInt32}

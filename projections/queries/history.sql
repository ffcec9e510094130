-- Where each event of one appeal sits in the ledger (its Kafka lineage), in sequence order.
-- The row with the highest offset per sequence is the one ReplacingMergeTree(offset) keeps;
-- LIMIT 1 BY picks it without FINAL, which on a point lookup costs about twice as much.
SELECT sequence, event_type, partition, offset, hash
FROM appeal_events
WHERE appeal_id = {appeal_id:String}
ORDER BY sequence, offset DESC
LIMIT 1 BY sequence
SETTINGS max_threads = 1

-- Where each event of one appeal sits in the ledger (its Kafka lineage), in sequence order.
SELECT sequence, event_type, partition, offset, hash
FROM appeal_events FINAL
WHERE appeal_id = {appeal_id:String}
ORDER BY sequence

-- Synthetic rows that bring the event log table to the size the history figure is measured at:
-- ten events per synthetic appeal, none of them a real appeal's. The columns are named, so one
-- added later (imported_by: NULL, acts performed through tyndau) takes its default.
INSERT INTO appeal_events (appeal_id, sequence, event_id, event_type, command_id, occurred_at, recorded_at, actor_role,
                           actor_id, region, body, payload, citizen_ref, prev_hash, hash, topic, partition, offset,
                           ingested_at)
SELECT concat('syn-', toString(intDiv(number, 10))), number % 10 + 1, generateUUIDv4(), 'filed', toString(number),
       now64(6), now64(6), 'citizen', 'applicant', '75', 'synthetic', '{}', '', '', '', 'appeals.events', 0, number, now64(3)
FROM numbers({rows:UInt64})

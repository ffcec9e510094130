-- Events the projector could not project, for `tyndau verify` and operators.
SELECT topic, partition, offset, appeal_id, error, recorded_at
FROM projection_errors FINAL
ORDER BY topic, partition, offset
LIMIT {limit:UInt32}

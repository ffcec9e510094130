-- Events the projector could not project (undecodable, out of order, or refused by the engine),
-- one row per Kafka record: the projector records them here and moves on, and `tyndau verify`
-- lists them as problems. A replay writes the same row again, which replaces itself.
CREATE TABLE IF NOT EXISTS projection_errors
(
    topic       LowCardinality(String),
    partition   UInt16,
    offset      UInt64,
    appeal_id   String COMMENT 'the record key, when it is one',
    error       String COMMENT 'what went wrong, never the event content',
    recorded_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(recorded_at)
ORDER BY (topic, partition, offset);

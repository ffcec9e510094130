-- Every event of the ledger, with its Kafka lineage; no personal data (the filed event's
-- citizen record is replaced by a keyed pseudonym). One row per (appeal_id, sequence): a
-- replayed event replaces itself, and reads use FINAL so they are right before merges.
CREATE TABLE IF NOT EXISTS appeal_events
(
    appeal_id    String,
    sequence     UInt32,
    event_id     UUID,
    event_type   LowCardinality(String),
    command_id   String,
    occurred_at  DateTime64(6, 'UTC'),
    recorded_at  DateTime64(6, 'UTC'),
    actor_role   LowCardinality(String),
    actor_id     String,
    region       LowCardinality(String),
    body         LowCardinality(String),
    payload      String COMMENT 'the payload as JSON, personal data removed',
    citizen_ref  String COMMENT 'keyed pseudonym of the citizen (filed events)',
    prev_hash    String,
    hash         String,
    topic        LowCardinality(String),
    partition    UInt16,
    offset       UInt64,
    ingested_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(offset)
ORDER BY (appeal_id, sequence)

-- The current state of each appeal, folded from its events by the domain code; the row with
-- the highest sequence wins, so replays and retried batches leave it unchanged.
CREATE TABLE IF NOT EXISTS appeals
(
    appeal_id             String,
    sequence              UInt32,
    last_hash             String,
    status                LowCardinality(String),
    region                LowCardinality(String),
    body                  LowCardinality(String),
    category              LowCardinality(String),
    channel               LowCardinality(String),
    citizen_ref           String,
    filed_at              DateTime64(6, 'UTC'),
    received_on           Date,
    due_on                Date,
    forward_by            Date,
    extended              Bool,
    routed                UInt16,
    answered_at           Nullable(DateTime64(6, 'UTC')),
    answered_on           Nullable(Date),
    outcome               LowCardinality(Nullable(String)),
    on_time               Nullable(Bool),
    response_working_days Nullable(UInt16),
    overdue_on            Nullable(Date),
    escalations           UInt16,
    rated                 Bool COMMENT 'the current answer is rated',
    ratings               UInt16 COMMENT 'ratings ever given, satisfied and score being the last one',
    satisfied             Nullable(Bool),
    score                 Nullable(UInt8),
    reopened              UInt16,
    withdrawn_at          Nullable(DateTime64(6, 'UTC')),
    last_at               DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY appeal_id

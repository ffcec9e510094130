-- The cluster variant of projections/migrations 001-011 (deploy/clickhouse/replicated.md): each table
-- as those migrations leave it, created ON CLUSTER with its Replicated* engine, and schema_migrations
-- told that 001-011 are applied, so the projector's own `migrate()` finds nothing left to do.
-- tests/deploy/test_manifests.py folds the migrations and checks every table here against them
-- (columns, types, order, engine, ORDER BY) and the versions recorded: a new migration fails it until
-- this file carries it too.
--
-- Run once, as a user that may create databases, against any node of the cluster:
--   kubectl -n tyndau exec -i clickhouse-0 -- clickhouse-client --multiquery < deploy/clickhouse/replicated_migrations.sql
-- The macros {cluster}, {shard} and {replica} come from each server's config.d (replicated.md).

CREATE DATABASE IF NOT EXISTS tyndau ON CLUSTER '{cluster}';

-- 001
CREATE TABLE IF NOT EXISTS tyndau.schema_migrations ON CLUSTER '{cluster}'
(
    version    UInt32,
    name       String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tyndau/schema_migrations', '{replica}')
ORDER BY version;

-- 002, 008
CREATE TABLE IF NOT EXISTS tyndau.appeal_events ON CLUSTER '{cluster}'
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
    ingested_at  DateTime64(3, 'UTC'),
    imported_by  Nullable(String)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tyndau/appeal_events', '{replica}', offset)
ORDER BY (appeal_id, sequence);

-- 003, 005, 008, 009, 011
CREATE TABLE IF NOT EXISTS tyndau.appeals ON CLUSTER '{cluster}'
(
    appeal_id                    String,
    sequence                     UInt32,
    last_hash                    String,
    status                       LowCardinality(String),
    region                       LowCardinality(String),
    body                         LowCardinality(String),
    category                     LowCardinality(String),
    channel                      LowCardinality(String),
    citizen_ref                  String,
    filed_at                     DateTime64(6, 'UTC'),
    received_on                  Date32,
    due_on                       Date32,
    forward_by                   Date32,
    extended                     Bool,
    routed                       UInt16,
    answered_at                  Nullable(DateTime64(6, 'UTC')),
    answered_on                  Nullable(Date32),
    outcome                      LowCardinality(Nullable(String)),
    on_time                      Nullable(Bool),
    response_working_days        Nullable(UInt16) COMMENT 'working days from receipt to the body''s first answer',
    overdue_on                   Nullable(Date32),
    escalations                  UInt16,
    rated                        Bool COMMENT 'the current answer is rated',
    ratings                      UInt16 COMMENT 'ratings ever given, satisfied and score being the last one',
    satisfied                    Nullable(Bool),
    score                        Nullable(UInt8),
    reopened                     UInt16,
    withdrawn_at                 Nullable(DateTime64(6, 'UTC')),
    last_at                      DateTime64(6, 'UTC'),
    imported_by                  Nullable(String),
    stage                        LowCardinality(String) DEFAULT 'body',
    term_started_on              Nullable(Date32),
    body_due_on                  Nullable(Date32),
    body_answered_on             Nullable(Date32),
    body_on_time                 Nullable(Bool),
    body_satisfied               Nullable(Bool),
    centre_received_on           Nullable(Date32),
    centre_due_on                Nullable(Date32),
    centre_answered_on           Nullable(Date32),
    centre_on_time               Nullable(Bool),
    centre_satisfied             Nullable(Bool),
    escalated_by                 LowCardinality(Nullable(String)),
    last_escalated_by            LowCardinality(Nullable(String)),
    notices_owed                 Array(Tuple(String, Date32, String)) COMMENT '(kind, due day, stage) of notices owed to the citizen, not yet given',
    body_late_notices            UInt16,
    centre_late_notices          UInt16,
    last_on                      Nullable(Date32) COMMENT 'the region''s legal local day of last_at',
    last_act_imported            Bool,
    stage_answers                UInt16 COMMENT 'answers given in the current stage',
    centre_response_working_days Nullable(UInt16) COMMENT 'working days from the centre''s receipt to the first answer of its handling',
    stage_body                   LowCardinality(Nullable(String)),
    imported_at                  Nullable(DateTime64(6, 'UTC'))
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tyndau/appeals', '{replica}', sequence)
ORDER BY appeal_id;

-- 006
CREATE TABLE IF NOT EXISTS tyndau.projection_errors ON CLUSTER '{cluster}'
(
    topic       LowCardinality(String),
    partition   UInt16,
    offset      UInt64,
    appeal_id   String COMMENT 'the record key, when it is one',
    error       String COMMENT 'what went wrong, never the event content',
    recorded_at DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tyndau/projection_errors', '{replica}', recorded_at)
ORDER BY (topic, partition, offset);

-- 010, 011
CREATE TABLE IF NOT EXISTS tyndau.appeal_versions ON CLUSTER '{cluster}'
(
    appeal_id                    String,
    sequence                     UInt32,
    valid_on                     Date32 COMMENT 'the region''s legal local day from which this state holds (its last_on)',
    last_hash                    String,
    status                       LowCardinality(String),
    region                       LowCardinality(String),
    body                         LowCardinality(String),
    category                     LowCardinality(String),
    channel                      LowCardinality(String),
    citizen_ref                  String,
    filed_at                     DateTime64(6, 'UTC'),
    received_on                  Date32,
    due_on                       Date32,
    forward_by                   Date32,
    extended                     Bool,
    routed                       UInt16,
    answered_at                  Nullable(DateTime64(6, 'UTC')),
    answered_on                  Nullable(Date32),
    outcome                      LowCardinality(Nullable(String)),
    on_time                      Nullable(Bool),
    response_working_days        Nullable(UInt16) COMMENT 'working days from receipt to the body''s first answer',
    overdue_on                   Nullable(Date32),
    escalations                  UInt16,
    rated                        Bool,
    ratings                      UInt16,
    satisfied                    Nullable(Bool),
    score                        Nullable(UInt8),
    reopened                     UInt16,
    withdrawn_at                 Nullable(DateTime64(6, 'UTC')),
    last_at                      DateTime64(6, 'UTC'),
    imported_by                  Nullable(String),
    stage                        LowCardinality(String),
    term_started_on              Nullable(Date32),
    body_due_on                  Nullable(Date32),
    body_answered_on             Nullable(Date32),
    body_on_time                 Nullable(Bool),
    body_satisfied               Nullable(Bool),
    centre_received_on           Nullable(Date32),
    centre_due_on                Nullable(Date32),
    centre_answered_on           Nullable(Date32),
    centre_on_time               Nullable(Bool),
    centre_satisfied             Nullable(Bool),
    escalated_by                 LowCardinality(Nullable(String)),
    last_escalated_by            LowCardinality(Nullable(String)),
    notices_owed                 Array(Tuple(String, Date32, String)),
    body_late_notices            UInt16,
    centre_late_notices          UInt16,
    last_on                      Nullable(Date32),
    last_act_imported            Bool,
    stage_answers                UInt16,
    centre_response_working_days Nullable(UInt16),
    stage_body                   LowCardinality(Nullable(String)),
    imported_at                  Nullable(DateTime64(6, 'UTC'))
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tyndau/appeal_versions', '{replica}')
ORDER BY (appeal_id, sequence);

-- 012, and 013 (the index on the leaves' offsets)
CREATE TABLE IF NOT EXISTS tyndau.merkle_nodes ON CLUSTER '{cluster}'
(
    partition  UInt16,
    level      UInt8,
    node_index UInt64,
    hash       FixedString(32),
    offset     UInt64 COMMENT 'the leaf record''s offset; 0 above level 0',
    INDEX leaf_offset offset TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tyndau/merkle_nodes', '{replica}')
ORDER BY (partition, level, node_index);

-- The schema above is that of these migrations: the projector's migrate() applies none of them again.
-- (Replicated: this one insert reaches every replica of the shard.)
INSERT INTO tyndau.schema_migrations (version, name, applied_at) VALUES
    (1, '001_schema_migrations.sql', now64(3)),
    (2, '002_appeal_events.sql', now64(3)),
    (3, '003_appeals.sql', now64(3)),
    (4, '004_daily_region_body_category.sql', now64(3)),
    (5, '005_dates_to_2149.sql', now64(3)),
    (6, '006_projection_errors.sql', now64(3)),
    (7, '007_drop_unused_daily_view.sql', now64(3)),
    (8, '008_imported_by.sql', now64(3)),
    (9, '009_stages_and_terms.sql', now64(3)),
    (10, '010_appeal_versions.sql', now64(3)),
    (11, '011_stage_body_and_imports.sql', now64(3)),
    (12, '012_merkle_nodes.sql', now64(3)),
    (13, '013_merkle_leaf_offsets.sql', now64(3));

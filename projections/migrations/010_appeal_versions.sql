-- refold: the projections already written are rebuilt from the log when this is applied to them.
-- Every state an appeal ever had, one row per (appeal_id, sequence): the state after that event,
-- folded by the domain code, with `valid_on` = its `last_on`, the region's legal local day from
-- which the state holds. The figures as of a report day D read the latest version per appeal with
-- valid_on <= D (queries/ranking.sql), so a ranking "as it stood at the end of D" is the same
-- whenever it is asked. A version never changes once folded, so a replayed event writes the very
-- same row again under the same key and no version column is needed; reads pick one row per
-- appeal with LIMIT 1 BY, which is right before merges too. Columns as in `appeals` (003, 005,
-- 008, 009). Filled by the projector; an existing deployment fills it with `tyndau rebuild`.
CREATE TABLE IF NOT EXISTS appeal_versions
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
    centre_response_working_days Nullable(UInt16)
)
ENGINE = ReplacingMergeTree
ORDER BY (appeal_id, sequence);

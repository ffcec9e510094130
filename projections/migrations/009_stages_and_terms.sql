-- refold: the projections already written are rebuilt from the log when this is applied to them.
-- Each stage of an appeal's handling keeps its own figures (README: the ranking's figures): the
-- receiving body's term and first answer, and from the first escalation the centre's; notices owed
-- to the citizen (APC Art. 65, 76) and those given late; the legal local day of the latest act.
-- Dates are Date32 and nullable, as 005 made the others (they reach 2149-12-31 and the terms after
-- it). Rows written before this migration get the defaults, which are wrong for appeals already
-- answered or escalated: run `tyndau rebuild` after upgrading, so the domain fold fills them.
-- One ALTER per column with IF NOT EXISTS: an interrupted run can be applied again.
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS stage LowCardinality(String) DEFAULT 'body';
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS term_started_on Nullable(Date32);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS body_due_on Nullable(Date32);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS body_answered_on Nullable(Date32);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS body_on_time Nullable(Bool);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS body_satisfied Nullable(Bool);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS centre_received_on Nullable(Date32);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS centre_due_on Nullable(Date32);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS centre_answered_on Nullable(Date32);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS centre_on_time Nullable(Bool);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS centre_satisfied Nullable(Bool);
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS escalated_by LowCardinality(Nullable(String));
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS last_escalated_by LowCardinality(Nullable(String));
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS notices_owed Array(Tuple(String, Date32, String)) COMMENT '(kind, due day, stage) of notices owed to the citizen, not yet given';
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS body_late_notices UInt16;
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS centre_late_notices UInt16;
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS last_on Nullable(Date32) COMMENT 'the region''s legal local day of last_at';
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS last_act_imported Bool;
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS stage_answers UInt16 COMMENT 'answers given in the current stage';
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS centre_response_working_days Nullable(UInt16) COMMENT 'working days from the centre''s receipt to the first answer of its handling';
ALTER TABLE appeals COMMENT COLUMN response_working_days 'working days from receipt to the body''s first answer';

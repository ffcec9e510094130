-- refold: the projections already written are rebuilt from the log when this is applied to them.
-- The body the body stage's figures belong to (the one holding the appeal until its first answer or
-- the escalation: a later forwarding, by the centre too, moves none of them; README: figures), and when
-- the ledger appended an appeal's latest imported act (the deadline watcher leaves an appeal to its
-- import until that has settled). Rows folded before this migration have NULL: the ranking then takes
-- the current body; `tyndau rebuild` fills both.
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS stage_body LowCardinality(Nullable(String));
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS imported_at Nullable(DateTime64(6, 'UTC'));
ALTER TABLE appeal_versions ADD COLUMN IF NOT EXISTS stage_body LowCardinality(Nullable(String));
ALTER TABLE appeal_versions ADD COLUMN IF NOT EXISTS imported_at Nullable(DateTime64(6, 'UTC'));

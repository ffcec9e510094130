-- Rows in the event log table and appeals in the state table, as the figures report them.
SELECT (SELECT count() FROM appeal_events) AS log_rows, (SELECT count() FROM appeals FINAL) AS appeal_rows

-- The stored state of the given appeals, for the projector's fold (its columns are projections.rows.STATE_COLUMNS).
SELECT appeal_id, sequence, last_hash, status, region, body,
       category, channel, filed_at, received_on, due_on, forward_by,
       extended, routed, answered_at, answered_on, outcome, on_time,
       overdue_on, escalations, rated, ratings, satisfied, score,
       reopened, withdrawn_at, last_at, imported_by, citizen_ref, response_working_days
FROM appeals FINAL
WHERE appeal_id IN {ids:Array(String)}

-- The stored state of the given appeals, for the projector's fold (its columns are projections.rows.STATE_COLUMNS).
SELECT appeal_id, sequence, last_hash, status, region, body,
       category, channel, filed_at, received_on, due_on, forward_by,
       extended, routed, answered_at, answered_on, outcome, on_time,
       overdue_on, escalations, rated, ratings, satisfied, score,
       reopened, withdrawn_at, last_at, imported_by,
       stage, term_started_on, body_due_on, body_answered_on, body_on_time, body_satisfied,
       centre_received_on, centre_due_on, centre_answered_on, centre_on_time, centre_satisfied,
       escalated_by, last_escalated_by, notices_owed, body_late_notices, centre_late_notices,
       last_on, last_act_imported, stage_answers, stage_body, imported_at,
       citizen_ref, response_working_days, centre_response_working_days
FROM appeals FINAL
WHERE appeal_id IN {ids:Array(String)}

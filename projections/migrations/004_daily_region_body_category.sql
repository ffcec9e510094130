-- Daily figures by region × body × category (day = day of receipt), computed from the
-- replay-proof current state, so they can never count an event twice.
CREATE VIEW IF NOT EXISTS daily_region_body_category AS
SELECT
    received_on                                                   AS day,
    region,
    body,
    category,
    count()                                                       AS filed,
    countIf(answered_at IS NOT NULL)                              AS answered,
    countIf(on_time)                                              AS answered_on_time,
    countIf(status IN ('open', 'escalated') AND due_on < today()) AS overdue,
    countIf(escalations > 0)                                      AS escalated,
    countIf(ratings > 0)                                                AS rated,
    countIf(ratings > 0 AND satisfied = false)                                    AS dissatisfied,
    quantilesExactInclusive(0.5, 0.9)(response_working_days)      AS response_working_days_p50_p90
FROM appeals FINAL
GROUP BY day, region, body, category

-- Synthetic appeals that bring the appeals table to the size the ranking figure is measured at:
-- 90 % answered, spread over the 20 regions, 300 bodies and a year of receipt days, each stage's
-- figures filled as the fold fills them (the body's first answer; 1 in 17 escalated to the centre).
-- Their latest act (last_on) lies in 2024-2025, so an as-of ranking of a later day reads them from
-- `appeals` alone, as it does every appeal that has not changed since the report day.
INSERT INTO appeals (appeal_id, sequence, last_hash, status, region, body, category, channel, citizen_ref, filed_at,
                     received_on, due_on, forward_by, extended, routed, answered_at, answered_on, on_time,
                     response_working_days, overdue_on, escalations, rated, ratings, satisfied, score, reopened,
                     withdrawn_at, last_at, stage, term_started_on, body_due_on, body_answered_on, body_on_time,
                     body_satisfied, centre_received_on, centre_due_on, escalated_by, last_escalated_by, last_on)
SELECT concat('syn-', toString(number)), 2, '', if(number % 10 < 9, 'answered', 'open'),
       ['10','11','15','19','23','27','31','33','35','39','43','47','55','59','61','62','63','71','75','79'][number % 20 + 1],
       concat('body-', toString(number % 300)), 'roads', 'eotinish', '', now64(6), toDate('2024-01-01') + number % 365,
       toDate('2024-01-22') + number % 365, toDate('2024-01-04') + number % 365, false, 0,
       if(number % 10 < 9, now64(6), NULL), if(number % 10 < 9, toDate('2024-01-10') + number % 365, NULL),
       if(number % 10 < 9, number % 7 > 0, NULL), if(number % 10 < 9, number % 20, NULL), NULL, number % 17 = 0,
       number % 3 = 0, if(number % 3 = 0, 1, 0), if(number % 3 = 0, number % 4 > 0, NULL), NULL, 0, NULL, now64(6),
       if(number % 17 = 0, 'centre', 'body'), toDate('2024-01-01') + number % 365, toDate('2024-01-22') + number % 365,
       if(number % 10 < 9, toDate('2024-01-10') + number % 365, NULL), if(number % 10 < 9, number % 7 > 0, NULL),
       if(number % 3 = 0, number % 4 > 0, NULL),
       if(number % 17 = 0, toDate('2024-01-25') + number % 365, NULL), if(number % 17 = 0, toDate('2024-02-15') + number % 365, NULL),
       if(number % 17 = 0, 'citizen', NULL), if(number % 17 = 0, 'citizen', NULL), toDate('2024-01-25') + number % 365
FROM numbers({rows:UInt64})

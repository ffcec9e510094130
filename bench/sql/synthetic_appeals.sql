-- Synthetic appeals that bring the appeals table to the size the ranking figure is measured at:
-- 90 % answered, spread over the 20 regions, 300 bodies and a year of receipt days.
INSERT INTO appeals (appeal_id, sequence, last_hash, status, region, body, category, channel, citizen_ref, filed_at,
                     received_on, due_on, forward_by, extended, routed, answered_at, answered_on, on_time,
                     response_working_days, overdue_on, escalations, rated, ratings, satisfied, score, reopened,
                     withdrawn_at, last_at)
SELECT concat('syn-', toString(number)), 2, '', if(number % 10 < 9, 'answered', 'open'),
       ['10','11','15','19','23','27','31','33','35','39','43','47','55','59','61','62','63','71','75','79'][number % 20 + 1],
       concat('body-', toString(number % 300)), 'roads', 'eotinish', '', now64(6), toDate('2024-01-01') + number % 365,
       toDate('2024-01-22') + number % 365, toDate('2024-01-04') + number % 365, false, 0,
       if(number % 10 < 9, now64(6), NULL), if(number % 10 < 9, toDate('2024-01-10') + number % 365, NULL),
       if(number % 10 < 9, number % 7 > 0, NULL), if(number % 10 < 9, number % 20, NULL), NULL, number % 17 = 0,
       number % 3 = 0, if(number % 3 = 0, 1, 0), if(number % 3 = 0, number % 4 > 0, NULL), NULL, 0, NULL, now64(6)
FROM numbers({rows:UInt64})

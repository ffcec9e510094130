-- Synthetic rows that bring the event log table to the size the history figure is measured at:
-- ten events per synthetic appeal, none of them a real appeal's.
INSERT INTO appeal_events
SELECT concat('syn-', toString(intDiv(number, 10))), number % 10 + 1, generateUUIDv4(), 'filed', toString(number),
       now64(6), now64(6), 'citizen', 'applicant', '75', 'synthetic', '{}', '', '', '', 'appeals.events', 0, number, now64(3)
FROM numbers({rows:UInt64})

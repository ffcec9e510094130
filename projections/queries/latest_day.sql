-- The first and the last day of receipt in the data (the dashboard's trend keeps within them).
SELECT min(received_on) AS first_day, max(received_on) AS day, count() AS appeals FROM appeals FINAL
WHERE (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))

-- The last day of receipt in the data (the dashboard's trend ends there).
SELECT max(received_on) AS day, count() AS appeals FROM appeals FINAL
WHERE (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))

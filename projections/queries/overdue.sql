-- Appeals past their due date and still unanswered on {today}, longest overdue first.
SELECT appeal_id, region, body, category, status, received_on, due_on, escalations
FROM appeals FINAL
WHERE status IN ('open', 'escalated') AND due_on < {today:Date32}
  AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
ORDER BY due_on ASC, appeal_id ASC
LIMIT {limit:UInt32}

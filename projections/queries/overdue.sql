-- Appeals received from {from} to {to} and overdue at the end of {today}, Kazakh legal dates, longest
-- overdue first: still with the stage whose term ran out (the receiving body's, or from the first escalation the centre's), never
-- answered in that stage, that term and the current one passed, as in the ranking's `overdue`
-- (queries/ranking.sql). Each appeal as it stood at the end of {today}, read as the ranking reads it:
-- the current state of those whose latest act came on or before {today}, the latest version valid
-- then of the others.
SELECT appeal_id, region, body, category, status, stage, received_on,
       if(stage = 'centre', centre_due_on, body_due_on) AS due_on, escalations
FROM (
    SELECT appeal_id, region, body, category, status, stage, received_on, due_on AS current_due_on, escalations,
           body_due_on, body_answered_on, centre_due_on, centre_answered_on
    FROM appeals FINAL
    WHERE ifNull(last_on <= {today:Date32}, false)
      AND received_on BETWEEN {from:Date32} AND {to:Date32}
      AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
    UNION ALL
    SELECT * FROM (
        SELECT appeal_id, region, body, category, status, stage, received_on, due_on AS current_due_on, escalations,
               body_due_on, body_answered_on, centre_due_on, centre_answered_on
        FROM appeal_versions
        WHERE valid_on <= {today:Date32}
          AND received_on BETWEEN {from:Date32} AND {to:Date32}
          AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
          AND appeal_id IN (
              SELECT appeal_id FROM appeals FINAL
              WHERE NOT ifNull(last_on <= {today:Date32}, false)
                AND received_on BETWEEN {from:Date32} AND {to:Date32}
                AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region)))
        ORDER BY appeal_id DESC, sequence DESC
        LIMIT 1 BY appeal_id
    )
)
WHERE current_due_on < {today:Date32}
  AND ((stage = 'body' AND status = 'open' AND body_answered_on IS NULL AND body_due_on < {today:Date32})
    OR (stage = 'centre' AND status IN ('open', 'escalated') AND centre_answered_on IS NULL AND centre_due_on < {today:Date32}))
ORDER BY due_on ASC, appeal_id ASC
LIMIT {limit:UInt32}

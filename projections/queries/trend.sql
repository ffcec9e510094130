-- Appeals received, and first answered by the receiving body (its answer before any escalation; a
-- reopened appeal's later answers are not counted again), per day from {from} to {to}, Kazakh legal
-- dates (of the listed regions; all when none is). Days without either are left out: the caller fills them.
WITH filed AS (
    SELECT received_on AS day, count() AS n FROM appeals FINAL
    WHERE received_on BETWEEN {from:Date32} AND {to:Date32}
      AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region)) GROUP BY day
), answered AS (
    SELECT body_answered_on AS day, count() AS n FROM appeals FINAL
    WHERE body_answered_on BETWEEN {from:Date32} AND {to:Date32}
      AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region)) GROUP BY day
)
SELECT day, sum(f) AS filed, sum(a) AS answered
FROM (
    SELECT day, n AS f, 0 AS a FROM filed
    UNION ALL
    SELECT assumeNotNull(day) AS day, 0 AS f, n AS a FROM answered
)
GROUP BY day
ORDER BY day

-- q4: average price for a category; Flink's AVG of a BIGINT is a BIGINT (sum / count, truncated
-- toward zero; PostgreSQL's SUM of a bigint is numeric, hence TRUNC). The changelog's final
-- state.
SELECT q.category, TRUNC(SUM(q.final) / COUNT(*))::bigint
FROM (
  SELECT MAX(b.price) AS final, a.category
  FROM auction a, bid b
  WHERE a.id = b.auction AND b.datetime BETWEEN a.datetime AND a.expires
  GROUP BY a.id, a.category
) q
GROUP BY q.category

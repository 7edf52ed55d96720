-- q6: average selling price by seller, over the final state (Flink cannot run the query; see
-- examples/nexmark/q6.c): each auction's winning bid, of equal prices the earliest (whose
-- dateTime is the row's), and per seller the truncated average of the prices of that auction and
-- the ten before it in order of the winning bid's dateTime, then the auction id. Exact compare.
SELECT seller, TRUNC(SUM(price) OVER w / COUNT(*) OVER w)::bigint
FROM (
  SELECT a.id, a.seller, b.price, b.datetime,
         ROW_NUMBER() OVER (PARTITION BY a.id ORDER BY b.price DESC, b.datetime ASC) AS rownum
  FROM auction a, bid b
  WHERE a.id = b.auction AND b.datetime BETWEEN a.datetime AND a.expires
) q
WHERE rownum = 1
WINDOW w AS (PARTITION BY seller ORDER BY datetime, id ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)

-- q5: hot items. Each bid is in the five sliding windows of 10 s every 2 s whose start is one of
-- the five multiples of 2 s in (t - 10 s, t].
WITH counts AS (
  SELECT auction, count(*) AS num, wstart
  FROM (SELECT b.auction, (floor(extract(epoch FROM b.datetime) / 2) * 2 - 2 * k) AS wstart
        FROM bid b, generate_series(0, 4) AS k) w
  GROUP BY auction, wstart)
SELECT c.auction, c.num
FROM counts c
JOIN (SELECT wstart, max(num) AS maxn FROM counts GROUP BY wstart) m
ON c.wstart = m.wstart AND c.num >= m.maxn

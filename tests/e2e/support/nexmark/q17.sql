-- q17: auction statistics per auction and day; Flink's AVG of a BIGINT is a BIGINT (sum / count,
-- truncated toward zero; PostgreSQL's SUM of a bigint is numeric, hence TRUNC). The changelog's
-- final state.
SELECT auction,
       to_char(datetime, 'YYYY-MM-DD') AS day,
       COUNT(*),
       COUNT(*) FILTER (WHERE price < 10000),
       COUNT(*) FILTER (WHERE price >= 10000 AND price < 1000000),
       COUNT(*) FILTER (WHERE price >= 1000000),
       MIN(price),
       MAX(price),
       TRUNC(SUM(price) / COUNT(*))::bigint,
       SUM(price)::bigint
FROM bid
GROUP BY auction, to_char(datetime, 'YYYY-MM-DD')

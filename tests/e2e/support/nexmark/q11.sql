-- q11: user sessions. Flink's session windows are [t, t + 10 s) per bid, merged when they
-- touch (TimeWindow.intersects counts a shared end): a bid more than 10 s after the bidder's
-- previous one starts a new session.
SELECT bidder, count(*) AS bid_count, min(datetime) AS starttime,
       max(datetime) + interval '10 seconds' AS endtime
FROM (
  SELECT bidder, datetime,
         sum(CASE WHEN prev IS NULL OR datetime - prev > interval '10 seconds' THEN 1 ELSE 0 END)
           OVER (PARTITION BY bidder ORDER BY datetime ROWS UNBOUNDED PRECEDING) AS session
  FROM (SELECT bidder, datetime,
               lag(datetime) OVER (PARTITION BY bidder ORDER BY datetime) AS prev
        FROM bid) b
) s
GROUP BY bidder, session

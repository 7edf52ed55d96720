-- q18: the last bid of each (bidder, auction). Bids tied on dateTime are all listed, RANK()
-- instead of ROW_NUMBER(), with that rank as a last column: nexmark_compare.py --top 1 checks
-- that the job kept exactly one of them (which one depends on arrival order).
SELECT auction, bidder, price, channel, url, datetime, extra, r
FROM (SELECT *, RANK() OVER (PARTITION BY bidder, auction ORDER BY datetime DESC) AS r
      FROM bid) q
WHERE r <= 1

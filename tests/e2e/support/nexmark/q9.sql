-- q9: winning bids. Bids tied on (price, dateTime) are all listed, RANK() instead of
-- ROW_NUMBER(), with that rank as a last column: nexmark_compare.py --top 1 checks that the job
-- has exactly one of them per auction, all the auction's columns and the price and time equal.
SELECT id, itemname, description, initialbid, reserve, datetime, expires, seller, category,
       extra, auction, bidder, price, bid_datetime, bid_extra, r
FROM (
  SELECT a.*, b.auction, b.bidder, b.price, b.datetime AS bid_datetime, b.extra AS bid_extra,
         RANK() OVER (PARTITION BY a.id ORDER BY b.price DESC, b.datetime ASC) AS r
  FROM auction a, bid b
  WHERE a.id = b.auction AND b.datetime BETWEEN a.datetime AND a.expires
) q
WHERE r <= 1

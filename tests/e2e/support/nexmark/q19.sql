-- q19: the ten highest bids of each auction. Every candidate is listed: RANK() instead of
-- ROW_NUMBER(), in the rank_number column and again as a last column; nexmark_compare.py --top 10
-- checks that the job's rows are candidates, all of every tie group that is wholly in the top
-- ten and the right number of the group cut at place ten, and each row number within its group's
-- places.
SELECT auction, bidder, price, channel, url, datetime, extra, r, r
FROM (SELECT *, RANK() OVER (PARTITION BY auction ORDER BY price DESC) AS r FROM bid) q
WHERE r <= 10

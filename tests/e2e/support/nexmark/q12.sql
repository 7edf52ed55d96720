-- q12: bids per bidder in processing-time windows of 10 s. Which window a bid falls in depends
-- on when Spate processed it, so what is compared is deterministic: each bidder's total over
-- all windows (nexmark_compare.py --totals 1 sums the job's bid_count per bidder), which is the
-- bidder's number of bids.
SELECT bidder, COUNT(*)
FROM bid
GROUP BY bidder

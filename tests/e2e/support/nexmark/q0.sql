-- q0: pass through (nexmark's queries/q0.sql as a batch query).
SELECT auction, bidder, price, datetime, extra FROM bid

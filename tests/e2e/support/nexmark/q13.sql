-- q13: bounded side input join: the side input is the table side_input (key, value), loaded
-- by the test from the file it gives the job; an inner join (a key not in the file: no row,
-- a key in it twice: two rows).
SELECT b.auction, b.bidder, b.price, b.datetime, s.value
FROM bid b JOIN side_input s ON mod(b.auction, 10000) = s.key

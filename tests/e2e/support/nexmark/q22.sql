-- q22: get URL directories; SPLIT_INDEX counts from 0, split_part from 1 (and gives '' where
-- SPLIT_INDEX gives NULL, hence NULLIF: no part of these URLs is empty at these places).
SELECT auction, bidder, price, channel, NULLIF(split_part(url, '/', 4), '') AS dir1,
       NULLIF(split_part(url, '/', 5), '') AS dir2, NULLIF(split_part(url, '/', 6), '') AS dir3
FROM bid

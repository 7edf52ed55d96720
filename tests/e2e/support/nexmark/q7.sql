-- q7: highest bid (tumbling windows of 10 s aligned to the epoch; B1.dateTime is the window's
-- end; BETWEEN includes both ends).
SELECT b.auction, b.price, b.bidder, b.datetime, b.extra
FROM bid b
JOIN (
  SELECT max(price) AS maxprice,
         to_timestamp(floor(extract(epoch FROM datetime) / 10) * 10 + 10) AT TIME ZONE 'UTC' AS wend
  FROM bid
  GROUP BY 2) b1
ON b.price = b1.maxprice
WHERE b.datetime BETWEEN b1.wend - interval '10 seconds' AND b1.wend

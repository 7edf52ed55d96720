-- q20: expand bid with auction.
SELECT b.auction, b.bidder, b.price, b.channel, b.url, b.datetime, b.extra, a.itemname,
       a.description, a.initialbid, a.reserve, a.datetime, a.expires, a.seller, a.category, a.extra
FROM bid AS b INNER JOIN auction AS a ON b.auction = a.id
WHERE a.category = 10

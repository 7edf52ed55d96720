-- q10: log to file system: every bid with the day and the minute of its dateTime
-- (DATE_FORMAT formats the timestamp's own fields). The job writes dt and hm as partition
-- directories; the test appends them to each row again (support/nexmark_partitions.py).
SELECT auction, bidder, price, datetime, extra,
       to_char(datetime, 'YYYY-MM-DD') AS dt, to_char(datetime, 'HH24:MI') AS hm
FROM bid

-- q21: add channel id; REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) is PostgreSQL's
-- substring with the first group made non-capturing (substring returns the first capture).
SELECT auction, bidder, price, channel,
       CASE WHEN lower(channel) = 'apple' THEN '0' WHEN lower(channel) = 'google' THEN '1'
            WHEN lower(channel) = 'facebook' THEN '2' WHEN lower(channel) = 'baidu' THEN '3'
            ELSE substring(url FROM '(?:&|^)channel_id=([^&]*)') END AS channel_id
FROM bid
WHERE substring(url FROM '(?:&|^)channel_id=([^&]*)') IS NOT NULL
   OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu')

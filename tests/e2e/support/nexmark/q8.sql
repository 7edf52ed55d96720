-- q8: monitor new users (tumbling windows of 10 s, aligned to the epoch as Flink's).
SELECT p.id, p.name, p.starttime
FROM (
  SELECT DISTINCT id, name, to_timestamp(floor(extract(epoch FROM datetime) / 10) * 10)
         AT TIME ZONE 'UTC' AS starttime
  FROM person) p
JOIN (
  SELECT DISTINCT seller, to_timestamp(floor(extract(epoch FROM datetime) / 10) * 10)
         AT TIME ZONE 'UTC' AS starttime
  FROM auction) a
ON p.id = a.seller AND p.starttime = a.starttime

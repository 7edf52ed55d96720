-- The Bid table of Flink's "Windowing TVF" documentation, read from a CSV file, its 10-minute
-- totals written to a CSV directory and the running count per supplier printed.
SET 'sql-client.execution.result-mode' = 'tableau';

CREATE TABLE Bid (
  bidtime TIMESTAMP(3),
  price DECIMAL(10, 2),
  item STRING,
  supplier_id STRING,
  WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = 'examples/sql/bid.csv', 'format' = 'csv');

CREATE TABLE totals (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  total_price DECIMAL(10, 2)
) WITH ('connector' = 'filesystem', 'path' = '/tmp/spate-sql-totals', 'format' = 'csv');

SELECT item, price * 2 AS doubled FROM Bid WHERE supplier_id = 'supplier1';

SELECT window_start, window_end, SUM(price) AS total_price
FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
GROUP BY window_start, window_end;

SELECT supplier_id, COUNT(*) AS bids, MAX(price) AS top FROM Bid GROUP BY supplier_id;

SET 'table.dml-sync' = 'true';
INSERT INTO totals
SELECT window_start, window_end, SUM(price)
FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
GROUP BY window_start, window_end;

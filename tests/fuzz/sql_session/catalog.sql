CREATE TABLE orders (
  order_id BIGINT,
  price DECIMAL(10, 2) NOT NULL COMMENT 'in euros',
  tags ARRAY<STRING>,
  attrs MAP<STRING, INT NOT NULL>,
  addr ROW<city STRING, zip INT>,
  ts TIMESTAMP(3),
  ptime AS PROCTIME(),
  d AS CAST(ts AS DATE),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
  PRIMARY KEY (order_id) NOT ENFORCED
) COMMENT 'the orders' WITH ('connector' = 'datagen', 'rows-per-second' = '10');
DESCRIBE orders;
SHOW CREATE TABLE orders;
CREATE VIEW big AS SELECT order_id, price FROM orders WHERE price > 100;
SHOW CREATE VIEW big;
SHOW TABLES;
HELP;

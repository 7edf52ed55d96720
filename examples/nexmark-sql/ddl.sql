-- ddl.sql: the source tables of Nexmark's SQL queries (q<N>.sql here) for Spate: the views
-- person, auction and bid of nexmark-flink's ddl_views.sql, as tables of the nexmark connector
-- (the generator of include/spate/nexmark.h) with nexmark-flink's watermark on dateTime. Only
-- this DDL is Spate's; the queries are nexmark-flink's as written. Without 'events.num' the
-- generator does not end: bench/bench_nexmark_sql.sh and tests/e2e/test_nexmark_sql.sh add it
-- after each table's 'connector' = 'nexmark'.
CREATE TABLE person (
  id BIGINT NOT NULL, name STRING NOT NULL, emailAddress STRING NOT NULL,
  creditCard STRING NOT NULL, city STRING NOT NULL, state STRING NOT NULL,
  dateTime TIMESTAMP(3) NOT NULL, extra STRING NOT NULL,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark');
CREATE TABLE auction (
  id BIGINT NOT NULL, itemName STRING NOT NULL, description STRING NOT NULL,
  initialBid BIGINT NOT NULL, reserve BIGINT NOT NULL, dateTime TIMESTAMP(3) NOT NULL,
  expires TIMESTAMP(3) NOT NULL, seller BIGINT NOT NULL, category BIGINT NOT NULL,
  extra STRING NOT NULL,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark');
CREATE TABLE bid (
  auction BIGINT NOT NULL, bidder BIGINT NOT NULL, price BIGINT NOT NULL,
  channel STRING NOT NULL, url STRING NOT NULL, dateTime TIMESTAMP(3) NOT NULL,
  extra STRING NOT NULL,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark');

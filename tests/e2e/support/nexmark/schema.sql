-- The Nexmark views as PostgreSQL tables, loaded from the CSV files examples/nexmark/dump.c
-- writes (columns in the order of spate/nexmark.h's records; names folded to lower case).
CREATE TABLE person (
  id bigint NOT NULL, name text NOT NULL, emailaddress text NOT NULL, creditcard text NOT NULL,
  city text NOT NULL, state text NOT NULL, datetime timestamp(3) NOT NULL, extra text NOT NULL);
CREATE TABLE auction (
  id bigint NOT NULL, itemname text NOT NULL, description text NOT NULL,
  initialbid bigint NOT NULL, reserve bigint NOT NULL, datetime timestamp(3) NOT NULL,
  expires timestamp(3) NOT NULL, seller bigint NOT NULL, category bigint NOT NULL,
  extra text NOT NULL);
CREATE TABLE bid (
  auction bigint NOT NULL, bidder bigint NOT NULL, price bigint NOT NULL, channel text NOT NULL,
  url text NOT NULL, datetime timestamp(3) NOT NULL, extra text NOT NULL);

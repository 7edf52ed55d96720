# The queries of test_sql_postgres.sh (format: sql_pg_compare.py). Tables: people(id, name, city,
# age, salary, bonus, active) and events(id, pid, kind, amount, ts) of sql_pg_data.py.
## every column, NULLs, empty strings and outer spaces as read from CSV
SELECT id, '[' || name || ']', '[' || city || ']', age, salary, bonus, active FROM people
## projection with arithmetic on INT, BIGINT and DECIMAL
SELECT id, age * 2 + 1, -age, salary - age * 1000, salary / 7, bonus + 1.5, bonus * 2 FROM people
## integer division and MOD truncate toward zero, negatives too
SELECT id, age / 4, MOD(age, 7), ABS(age - 40), age % 3 FROM people
-- postgres
SELECT id, age / 4, MOD(age, 7), ABS(age - 40), age % 3 FROM people
## DOUBLE arithmetic
SELECT id, CAST(age AS DOUBLE) / 3, CAST(salary AS DOUBLE) * 0.25 FROM people
-- postgres
SELECT id, CAST(age AS DOUBLE PRECISION) / 3, CAST(salary AS DOUBLE PRECISION) * 0.25 FROM people
## WHERE with AND, OR and NOT over NULLs
SELECT id, age, active FROM people WHERE (age > 30 AND NOT active) OR (age < 10 AND city <> 'Oslo')
## IS NULL and IS NOT NULL
SELECT id, name IS NULL, city IS NOT NULL FROM people WHERE age IS NULL OR bonus IS NULL
## BETWEEN and NOT BETWEEN
SELECT id, age FROM people WHERE age BETWEEN 18 AND 30 OR salary NOT BETWEEN 0 AND 4000000000
## IN and NOT IN lists
SELECT id, city FROM people WHERE city IN ('Paris', 'Oslo', 'Zürich') AND age NOT IN (1, 2, 3, 40, 41)
## LIKE with % and _
SELECT id, name FROM people WHERE name LIKE '%a%' OR name LIKE '_o%' OR name NOT LIKE '%e%'
## comparisons of strings, booleans and NULL in the select list
SELECT id, name = 'alice', age > 50, active = TRUE, city < 'M' FROM people
## CASE with and without an operand, ELSE missing
SELECT id, CASE WHEN age < 0 THEN 'neg' WHEN age < 18 THEN 'minor' WHEN age >= 65 THEN 'senior' END, CASE city WHEN 'Paris' THEN 1 WHEN 'Oslo' THEN 2 ELSE 0 END FROM people
## COALESCE and NULLIF
SELECT id, COALESCE(name, city, 'nobody'), NULLIF(age, 5), COALESCE(bonus, 0), NULLIF(city, '') FROM people
## CAST between numbers, strings and booleans
SELECT id, CAST(age AS STRING), CAST(salary AS INT) , CAST(CAST(age AS STRING) AS BIGINT), CAST(bonus AS INT), CAST(active AS STRING) FROM people WHERE salary BETWEEN -2000000000 AND 2000000000
-- postgres
SELECT id, CAST(age AS TEXT), CAST(salary AS INT), CAST(CAST(age AS TEXT) AS BIGINT), TRUNC(bonus)::int, UPPER(CAST(active AS TEXT)) FROM people WHERE salary BETWEEN -2000000000 AND 2000000000
## UPPER, LOWER and CHAR_LENGTH (also of non-ASCII text)
SELECT id, UPPER(name), LOWER(name), CHAR_LENGTH(name), CHAR_LENGTH(city) FROM people
## SUBSTRING with and without a length
SELECT id, SUBSTRING(name FROM 2 FOR 3), SUBSTRING(city FROM 3), SUBSTRING(city FROM 1 FOR 1) FROM people
## TRIM, LTRIM and RTRIM
SELECT id, '[' || TRIM(name) || ']', '[' || LTRIM(name) || ']', '[' || RTRIM(name) || ']', '[' || TRIM(BOTH 'a' FROM name) || ']' FROM people
## concatenation, REPLACE and POSITION
SELECT id, name || '@' || city, REPLACE(name, 'a', 'AA'), POSITION('a' IN name), POSITION('o' IN city) FROM people
## ROUND of DECIMAL and of INT
SELECT id, ROUND(bonus, 1), ROUND(bonus, 0), ROUND(age, -1) FROM people
## UNION ALL of two projections of one table and VALUES
SELECT id, name FROM people WHERE age > 80 UNION ALL SELECT id + 1000, kind FROM events WHERE amount < -45 UNION ALL SELECT * FROM (VALUES (-1, 'v1'), (-2, 'v2')) AS v(a, b)
## subquery in FROM, and WITH
WITH adults AS (SELECT id, name, age FROM people WHERE age >= 18) SELECT a.id, a.age - 18 FROM (SELECT * FROM adults WHERE name LIKE '%e%') AS a WHERE a.age < 60
## DISTINCT
SELECT DISTINCT city, active FROM people
## GROUP BY with COUNT(*), COUNT(x) and COUNT(DISTINCT x)
SELECT city, COUNT(*), COUNT(age), COUNT(DISTINCT name), COUNT(DISTINCT active) FROM people GROUP BY city
## GROUP BY with SUM, MIN and MAX of INT, BIGINT, DECIMAL and STRING
SELECT active, SUM(age), MIN(age), MAX(age), SUM(salary), MIN(bonus), MAX(bonus), SUM(bonus), MIN(name), MAX(city) FROM people GROUP BY active
## AVG of INT and BIGINT is integer division toward zero as in Flink (PostgreSQL: SUM / COUNT)
SELECT city, AVG(age), AVG(salary) FROM people GROUP BY city
-- postgres
SELECT city, SUM(age) / COUNT(age), TRUNC(SUM(salary) / COUNT(salary)) FROM people GROUP BY city
## AVG of a DOUBLE
SELECT city, AVG(CAST(age AS DOUBLE)) FROM people GROUP BY city
-- postgres
SELECT city, AVG(CAST(age AS DOUBLE PRECISION)) FROM people GROUP BY city
## GROUP BY two keys and an expression, with HAVING
SELECT city, age / 10 AS decade, COUNT(*) FROM people GROUP BY city, age / 10 HAVING COUNT(*) > 2 AND MAX(age) > 20
## aggregates with FILTER (WHERE ...)
SELECT city, COUNT(*) FILTER (WHERE active), SUM(age) FILTER (WHERE age > 30), COUNT(DISTINCT name) FILTER (WHERE age < 50) FROM people GROUP BY city
## a global aggregate
SELECT COUNT(*), COUNT(name), SUM(age), MIN(salary), MAX(bonus) FROM people
## aggregate over a subquery, then a filter over the aggregate
SELECT k, c FROM (SELECT kind AS k, COUNT(*) AS c, SUM(amount) AS s FROM events GROUP BY kind) AS g WHERE s > 1000
## TUMBLE windows against date_bin
SELECT window_start, window_end, COUNT(*), SUM(amount), MAX(amount) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end
-- postgres
SELECT date_bin('10 seconds', ts, '1970-01-01'), date_bin('10 seconds', ts, '1970-01-01') + interval '10 seconds', COUNT(*), SUM(amount), MAX(amount) FROM events GROUP BY 1, 2
## TUMBLE windows per key
SELECT window_start, kind, COUNT(*), MIN(pid) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, kind
-- postgres
SELECT date_bin('1 minute', ts, '1970-01-01'), kind, COUNT(*), MIN(pid) FROM events GROUP BY 1, kind
## HOP windows against a generate_series join
SELECT window_start, window_end, COUNT(*), SUM(amount) FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '20' SECOND, INTERVAL '1' MINUTE)) GROUP BY window_start, window_end
-- postgres
SELECT s, s + interval '1 minute', COUNT(*), SUM(amount) FROM events, generate_series(date_bin('20 seconds', ts, '1970-01-01') - interval '40 seconds', date_bin('20 seconds', ts, '1970-01-01'), interval '20 seconds') AS s GROUP BY s
## CUMULATE windows
SELECT window_start, window_end, COUNT(*), SUM(amount) FROM TABLE(CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '30' SECOND, INTERVAL '2' MINUTE)) GROUP BY window_start, window_end
-- postgres
SELECT date_bin('2 minutes', ts, '1970-01-01'), e, COUNT(*), SUM(amount) FROM events, generate_series(date_bin('30 seconds', ts, '1970-01-01') + interval '30 seconds', date_bin('2 minutes', ts, '1970-01-01') + interval '2 minutes', interval '30 seconds') AS e GROUP BY 1, 2
## MIN and MAX over an updating input retract the values they replace
SELECT k, MIN(c), MAX(c), SUM(c), COUNT(*) FROM (SELECT city AS k, name, COUNT(*) AS c FROM people GROUP BY city, name) AS g GROUP BY k
## COUNT(DISTINCT) and AVG over an updating input
SELECT c, COUNT(DISTINCT k), AVG(c), MIN(k) FROM (SELECT city AS k, COUNT(*) AS c FROM people GROUP BY city) AS g GROUP BY c
-- postgres
SELECT c, COUNT(DISTINCT k), SUM(c) / COUNT(c), MIN(k) FROM (SELECT city AS k, COUNT(*) AS c FROM people GROUP BY city) AS g GROUP BY c
## a filter over an updating aggregate
SELECT name, c FROM (SELECT name, COUNT(*) AS c, SUM(age) AS s FROM people GROUP BY name) AS g WHERE c > 3 AND s > 100
## DISTINCT over an aggregate
SELECT DISTINCT c FROM (SELECT city, COUNT(*) AS c FROM people GROUP BY city) AS g
## CONCAT is NULL when an argument is (PostgreSQL: ||), CONCAT_WS skips NULLs
SELECT id, CONCAT(name, '-', city), CONCAT_WS('/', name, city, CAST(age AS STRING)) FROM people
-- postgres
SELECT id, name || '-' || city, CONCAT_WS('/', name, city, CAST(age AS TEXT)) FROM people
## LIKE with an escaped %, IS DISTINCT FROM, IS TRUE and IS NOT FALSE
SELECT id, name LIKE 'zed!%%' ESCAPE '!', age IS DISTINCT FROM 40, active IS TRUE, active IS NOT FALSE FROM people
## LPAD, RPAD, INITCAP and REGEXP_REPLACE
SELECT id, LPAD(name, 8, '*'), RPAD(city, 10, '.'), INITCAP(name), REGEXP_REPLACE(name, '[aeiou]', '#') FROM people
-- postgres
SELECT id, LPAD(name, 8, '*'), RPAD(city, 10, '.'), INITCAP(name), REGEXP_REPLACE(name, '[aeiou]', '#', 'g') FROM people
## EXTRACT, FLOOR to a unit and CAST to DATE of timestamps
SELECT id, EXTRACT(MINUTE FROM ts), EXTRACT(SECOND FROM ts), FLOOR(ts TO MINUTE), CAST(ts AS DATE) FROM events
-- postgres
SELECT id, EXTRACT(MINUTE FROM ts)::int, FLOOR(EXTRACT(SECOND FROM ts))::int, date_trunc('minute', ts), CAST(ts AS DATE) FROM events
## timestamp arithmetic with intervals, comparisons and TIMESTAMPDIFF (truncated toward zero)
SELECT id, ts + INTERVAL '1' HOUR, ts - INTERVAL '90' SECOND, TIMESTAMPDIFF(SECOND, TIMESTAMP '2020-04-15 08:00:00', ts) FROM events WHERE ts < TIMESTAMP '2020-04-15 08:03:00'
-- postgres
SELECT id, ts + INTERVAL '1 hour', ts - INTERVAL '90 seconds', TRUNC(EXTRACT(EPOCH FROM ts - TIMESTAMP '2020-04-15 08:00:00'))::int FROM events WHERE ts < TIMESTAMP '2020-04-15 08:03:00'
## CASE mixing INT and DECIMAL results, and a searched CASE over NULLs
SELECT id, CASE WHEN age > 50 THEN 1 WHEN age > 20 THEN 2.5 ELSE bonus END, CASE WHEN name IS NULL OR city IS NULL THEN 'some null' ELSE 'none' END FROM people
## window aggregation with COUNT(DISTINCT), FILTER and HAVING
SELECT window_start, COUNT(DISTINCT kind), COUNT(*) FILTER (WHERE amount > 100), MIN(ts) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '30' SECOND)) GROUP BY window_start, window_end HAVING COUNT(*) > 15
-- postgres
SELECT date_bin('30 seconds', ts, '1970-01-01'), COUNT(DISTINCT kind), COUNT(*) FILTER (WHERE amount > 100), MIN(ts) FROM events GROUP BY 1 HAVING COUNT(*) > 15
## SESSION windows with a 3 s gap
SELECT window_start, window_end, COUNT(*) FROM TABLE(SESSION(TABLE events, DESCRIPTOR(ts), INTERVAL '3' SECOND)) GROUP BY window_start, window_end
-- postgres
WITH o AS (SELECT ts, CASE WHEN ts - LAG(ts) OVER (ORDER BY ts) < INTERVAL '3 seconds' THEN 0 ELSE 1 END AS brk FROM events), s AS (SELECT ts, SUM(brk) OVER (ORDER BY ts) AS sid FROM o) SELECT MIN(ts), MAX(ts) + INTERVAL '3 seconds', COUNT(*) FROM s GROUP BY sid
## three-valued logic in the select list
SELECT id, active AND age > 30, active OR age > 30, NOT active, (age > 30) = active FROM people
## IN lists holding NULL
SELECT id, age IN (10, 20, NULL), age NOT IN (10, NULL) FROM people
## GROUP BY DECIMAL and BOOLEAN keys
SELECT bonus, active, COUNT(*) FROM people GROUP BY bonus, active
## SUM(DISTINCT), MIN with FILTER, COUNT(DISTINCT) with FILTER
SELECT active, SUM(DISTINCT age), MIN(age) FILTER (WHERE city = 'Oslo'), COUNT(DISTINCT city) FILTER (WHERE age > 40) FROM people GROUP BY active
## a global aggregate over an updating input
SELECT COUNT(*), SUM(c), MAX(c), MIN(c) FROM (SELECT city, COUNT(*) AS c FROM people GROUP BY city) AS g
## an aggregation over windowed results
SELECT c, COUNT(*) FROM (SELECT window_start, COUNT(*) AS c FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end) AS w GROUP BY c
-- postgres
SELECT c, COUNT(*) FROM (SELECT date_bin('10 seconds', ts, '1970-01-01'), COUNT(*) AS c FROM events GROUP BY 1) AS w GROUP BY c
## TUMBLE with an offset
SELECT window_start, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '3' SECOND)) GROUP BY window_start, window_end
-- postgres
SELECT date_bin('10 seconds', ts, '1970-01-01 00:00:03'), date_bin('10 seconds', ts, '1970-01-01 00:00:03') + interval '10 seconds', COUNT(*) FROM events GROUP BY 1, 2
## window per key with windows per pid
SELECT window_start, pid, SUM(amount), COUNT(*) FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE)) GROUP BY window_start, window_end, pid
-- postgres
SELECT s, pid, SUM(amount), COUNT(*) FROM events, generate_series(date_bin('1 minute', ts, '1970-01-01') - interval '2 minutes', date_bin('1 minute', ts, '1970-01-01'), interval '1 minute') AS s GROUP BY s, pid
## REPLACE and POSITION with empty strings, CHAR_LENGTH and TRIM of empty strings
SELECT id, REPLACE(name, '', 'x'), POSITION('' IN name), CHAR_LENGTH(TRIM(name)), REPLACE(city, 'o', '') FROM people
## DECIMAL multiplication and mixed arithmetic
SELECT id, bonus * bonus, bonus * age, bonus - salary, age + 0.5 FROM people
## VALUES with NULLs and a filter
SELECT a, b, a * 2 FROM (VALUES (1, 'x'), (CAST(NULL AS INT), 'y'), (3, CAST(NULL AS STRING))) AS v(a, b) WHERE b IS NOT NULL OR a > 2
-- postgres
SELECT a, b, a * 2 FROM (VALUES (1, 'x'), (CAST(NULL AS INT), 'y'), (3, CAST(NULL AS TEXT))) AS v(a, b) WHERE b IS NOT NULL OR a > 2
## MOD, ABS and SIGN with negatives
SELECT id, MOD(-age, 4), MOD(salary, CAST(-7 AS BIGINT)), ABS(bonus), SIGN(age - 30) FROM people
## nested CASE, COALESCE over an aggregate, NULLIF over an aggregate
SELECT city, COALESCE(MAX(name), 'none'), NULLIF(COUNT(age), 0), CASE WHEN SUM(age) > 1000 THEN 'big' WHEN SUM(age) IS NULL THEN 'null' ELSE 'small' END FROM people GROUP BY city
## COUNT of a boolean column and of an expression
SELECT city, COUNT(active), COUNT(CASE WHEN active THEN 1 END), SUM(CASE WHEN active THEN 1 ELSE 0 END) FROM people GROUP BY city
## HAVING over the spread of a group
SELECT pid, MAX(amount), MIN(amount), COUNT(DISTINCT kind) FROM events GROUP BY pid HAVING MAX(amount) - MIN(amount) > 400
## string comparisons and BETWEEN on strings
SELECT id, name FROM people WHERE name BETWEEN 'b' AND 'j' OR city >= 'S'
## CAST numbers to DECIMAL and DOUBLE to BIGINT
SELECT id, CAST(age AS DECIMAL(10, 3)), CAST(CAST(bonus AS DOUBLE) AS BIGINT), CAST(salary AS DECIMAL(20, 1)) FROM people
-- postgres
SELECT id, CAST(age AS DECIMAL(10, 3)), TRUNC(CAST(bonus AS DOUBLE PRECISION))::bigint, CAST(salary AS DECIMAL(20, 1)) FROM people
## ROUND, CEIL and FLOOR of DECIMALs whose result gains a digit (0.5 to 1, 9.5 to 10)
SELECT d, ROUND(d), CEIL(d), FLOOR(d), ROUND(d, 1) FROM (VALUES (CAST(0.5 AS DECIMAL(2, 2))), (CAST(-0.5 AS DECIMAL(2, 2))), (CAST(0.95 AS DECIMAL(2, 2))), (CAST(-0.99 AS DECIMAL(2, 2))), (CAST(0.04 AS DECIMAL(2, 2)))) AS v(d)
## ROUND of a DECIMAL(2, 1) over its precision
SELECT e, ROUND(e), ROUND(-e), CEIL(e) FROM (VALUES (CAST(9.5 AS DECIMAL(2, 1))), (CAST(9.4 AS DECIMAL(2, 1))), (CAST(-9.9 AS DECIMAL(2, 1)))) AS v(e)
## MOD and % of a BIGINT dividend by an INT divisor compute in BIGINT
SELECT id, MOD(salary, 7), salary % 7, MOD(salary, -7) FROM people
## UNION ALL of an updating and an insert-only query: the insert-only side's rows are +I
SELECT city, COUNT(*) FROM people GROUP BY city UNION ALL SELECT name, CAST(1 AS BIGINT) FROM people
## GROUPING SETS with GROUPING and GROUPING_ID (PostgreSQL's GROUPING of several arguments)
SELECT city, active, COUNT(*), SUM(age), GROUPING(city), GROUPING_ID(city, active) FROM people GROUP BY GROUPING SETS ((city, active), (city), ())
-- postgres
SELECT city, active, COUNT(*), SUM(age), GROUPING(city), GROUPING(city, active) FROM people GROUP BY GROUPING SETS ((city, active), (city), ())
## ROLLUP of a column and an expression, with HAVING and expressions over the nulled keys
SELECT city, age / 10 AS decade, age / 10 * 10 + 9 AS top, CHAR_LENGTH(city) + 1, COUNT(*), MAX(salary) FROM people GROUP BY ROLLUP (city, age / 10) HAVING COUNT(*) > 1
## CUBE with COUNT(DISTINCT), FILTER and GROUPING of two keys, a plain key besides
SELECT kind, pid % 3, amount > 500, COUNT(DISTINCT amount), SUM(amount) FILTER (WHERE amount > 100), GROUPING(kind, pid % 3) FROM events GROUP BY amount > 500, CUBE (kind, pid % 3)
## ROLLUP over an updating input
SELECT c, city, COUNT(*) FROM (SELECT city, COUNT(*) AS c FROM people GROUP BY city) AS g GROUP BY ROLLUP (c, city)
## TUMBLE windows with ROLLUP against date_bin
SELECT window_start, kind, COUNT(*), SUM(amount) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, ROLLUP (kind)
-- postgres
SELECT date_bin('1 minute', ts, '1970-01-01'), kind, COUNT(*), SUM(amount) FROM events GROUP BY date_bin('1 minute', ts, '1970-01-01'), ROLLUP (kind)
## HOP windows with CUBE against a generate_series join
SELECT window_start, window_end, kind, amount > 500, COUNT(*), GROUPING_ID(kind, amount > 500) FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '20' SECOND, INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, CUBE (kind, amount > 500)
-- postgres
SELECT s, s + interval '1 minute', kind, amount > 500, COUNT(*), GROUPING(kind, amount > 500) FROM events, generate_series(date_bin('20 seconds', ts, '1970-01-01') - interval '40 seconds', date_bin('20 seconds', ts, '1970-01-01'), interval '20 seconds') AS s GROUP BY s, CUBE (kind, amount > 500)
## TUMBLE on its own: every row with its window
SELECT id, ts, window_start, window_end, window_time FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
-- postgres
SELECT id, ts, date_bin('10 seconds', ts, '1970-01-01'), date_bin('10 seconds', ts, '1970-01-01') + interval '10 seconds', date_bin('10 seconds', ts, '1970-01-01') + interval '10 seconds' - interval '1 millisecond' FROM events
## HOP on its own: a row per window holding the row
SELECT id, window_start, window_end FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '20' SECOND, INTERVAL '1' MINUTE)) WHERE amount > 300
-- postgres
SELECT id, s, s + interval '1 minute' FROM events, generate_series(date_bin('20 seconds', ts, '1970-01-01') - interval '40 seconds', date_bin('20 seconds', ts, '1970-01-01'), interval '20 seconds') AS s WHERE amount > 300
## CUMULATE on its own
SELECT id, window_start, window_end FROM TABLE(CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '30' SECOND, INTERVAL '2' MINUTE))
-- postgres
SELECT id, date_bin('2 minutes', ts, '1970-01-01'), e FROM events, generate_series(date_bin('30 seconds', ts, '1970-01-01') + interval '30 seconds', date_bin('2 minutes', ts, '1970-01-01') + interval '2 minutes', interval '30 seconds') AS e
## a filter under a window aggregation (below the window table function, as Flink pushes it)
SELECT window_start, window_end, kind, COUNT(*), SUM(amount) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '30' SECOND)) WHERE amount > 200 AND kind <> 'view' GROUP BY window_start, window_end, kind
-- postgres
SELECT date_bin('30 seconds', ts, '1970-01-01'), date_bin('30 seconds', ts, '1970-01-01') + interval '30 seconds', kind, COUNT(*), SUM(amount) FROM events WHERE amount > 200 AND kind <> 'view' GROUP BY 1, 2, kind
## a grouping set listed twice gives its groups twice
SELECT city, active, COUNT(*), GROUPING(city) FROM people GROUP BY GROUPING SETS ((city), (city), (active), ())
## an inner join on a key with NULLs and with ids no row has
SELECT e.id, p.name, e.amount FROM events AS e JOIN people AS p ON e.pid = p.id
## a LEFT join with a residual condition: unmatched rows padded, padded rows retracted as matches come
SELECT p.id, p.name, e.id, e.amount FROM people AS p LEFT JOIN events AS e ON p.id = e.pid AND e.amount > 500
## a RIGHT join
SELECT p.id, p.city, e.id, e.kind FROM people AS p RIGHT JOIN events AS e ON p.id = e.pid
## a FULL join whose residual condition reads both sides
SELECT p.id, p.age, e.id, e.amount FROM people AS p FULL JOIN events AS e ON p.id = e.pid AND p.age * 10 < e.amount
## a comma join: the WHERE's equality is the join key, the rest its residual condition
SELECT p.name, e.kind, e.amount FROM people p, events e WHERE p.id = e.pid AND e.kind <> 'view' AND p.age < e.amount
## SELECT * of a join: both sides' columns, the second id renamed
SELECT * FROM people AS a JOIN events AS b ON a.id = b.pid WHERE b.amount < 100
## a self-join on a string key (NULL cities never match)
SELECT a.id, b.id, a.city FROM people AS a JOIN people AS b ON a.city = b.city AND a.id < b.id AND a.age > 60
## a join with an updating input: rows retracted and added as the aggregation updates
SELECT p.id, p.name, c.n, c.total FROM people AS p JOIN (SELECT pid, COUNT(*) AS n, SUM(amount) AS total FROM events GROUP BY pid) AS c ON p.id = c.pid
## an aggregation over a LEFT join: its padded rows retracted upstream
SELECT p.city, COUNT(e.id), SUM(e.amount), COUNT(*) FROM people AS p LEFT JOIN events AS e ON p.id = e.pid GROUP BY p.city
## a FULL join of two updating aggregations on their counts
SELECT a.city, a.n, b.kind, b.m FROM (SELECT city, COUNT(*) AS n FROM people GROUP BY city) AS a FULL JOIN (SELECT kind, COUNT(*) AS m FROM events WHERE amount < 60 GROUP BY kind) AS b ON a.n = b.m
## a join without a key (Flink's singleton distribution)
SELECT p.id, e.id, e.amount FROM people AS p JOIN events AS e ON p.age * 10 > e.amount AND e.amount > 400
## a LEFT join without a key
SELECT p.id, e.id FROM people AS p LEFT JOIN events AS e ON p.age > 70 AND e.amount > 490
## Top-N per partition with the row number: rows shifted down as better ones arrive
SELECT * FROM (SELECT id, city, age, ROW_NUMBER() OVER (PARTITION BY city ORDER BY age DESC NULLS LAST, id) AS rn FROM people) AS t WHERE rn <= 3
## Top-N without the row number (Flink's no-ranking-output optimization): rows deleted as they fall out
SELECT id, city, salary FROM (SELECT id, city, salary, ROW_NUMBER() OVER (PARTITION BY city ORDER BY salary NULLS LAST, id DESC) AS rn FROM people) AS t WHERE rn <= 2 AND id > 10
## Top-N with an offset (ranks 3 to 5) and a NULLS FIRST order
SELECT * FROM (SELECT kind, id, amount, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY amount NULLS FIRST, id) AS rn FROM events) AS t WHERE rn BETWEEN 3 AND 5
## Top-N without PARTITION BY (one task)
SELECT rn, id, amount FROM (SELECT id, amount, ROW_NUMBER() OVER (ORDER BY amount DESC NULLS LAST, id) AS rn FROM events) AS t WHERE rn < 6
## the top row per partition: its number a constant
SELECT id, pid, amount, rn FROM (SELECT id, pid, amount, ROW_NUMBER() OVER (PARTITION BY pid ORDER BY amount DESC NULLS LAST, id) AS rn FROM events) AS t WHERE rn = 1
## Top-N over an updating aggregation (retract strategy), with the row number
SELECT * FROM (SELECT kind, pid, total, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY total DESC NULLS LAST, pid NULLS LAST) AS rn FROM (SELECT kind, pid, SUM(amount) AS total FROM events GROUP BY kind, pid) AS a) AS t WHERE rn <= 3
## Top-N over an updating aggregation without the row number
SELECT kind, pid, n FROM (SELECT kind, pid, n, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY n DESC, pid NULLS FIRST) AS rn FROM (SELECT kind, pid, COUNT(*) AS n FROM events GROUP BY kind, pid) AS a) AS t WHERE rn <= 2
## deduplication keeping the last row in event time
SELECT id, pid, kind FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY pid ORDER BY ts DESC) AS rn FROM events) AS t WHERE rn = 1
## deduplication keeping the first row in event time (rows arrive out of order)
SELECT id, pid, ts FROM (SELECT id, pid, ts, ROW_NUMBER() OVER (PARTITION BY pid ORDER BY ts) AS rn FROM events) AS t WHERE rn <= 1
## OVER aggregation on event time, a ROWS frame of the 2 rows before
SELECT id, pid, amount, SUM(amount) OVER (PARTITION BY pid ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), COUNT(*) OVER (PARTITION BY pid ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM events
## OVER aggregation on event time, a RANGE frame of 30 seconds (MIN and MAX retract as rows leave it)
SELECT id, kind, MAX(amount) OVER w, MIN(amount) OVER w, COUNT(amount) OVER w FROM events WINDOW w AS (PARTITION BY kind ORDER BY ts RANGE BETWEEN INTERVAL '30' SECOND PRECEDING AND CURRENT ROW)
-- postgres
SELECT id, kind, MAX(amount) OVER w, MIN(amount) OVER w, COUNT(amount) OVER w FROM events WINDOW w AS (PARTITION BY kind ORDER BY ts RANGE BETWEEN INTERVAL '30 seconds' PRECEDING AND CURRENT ROW)
## OVER aggregation with the default frame (RANGE UNBOUNDED PRECEDING) and without PARTITION BY
SELECT id, amount, SUM(amount) OVER (ORDER BY ts), COUNT(*) OVER (ORDER BY ts) FROM events WHERE amount > 300
## OVER aggregation over all rows before, one window named in the WINDOW clause
SELECT id, pid, MAX(amount) OVER w, SUM(amount) OVER w FROM events WINDOW w AS (PARTITION BY pid ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)

#!/usr/bin/env python3
"""sql_pg_data.py DIR: writes the input tables of test_sql_postgres.sh as CSV files in DIR.

The rows come from a fixed seed, so every run (and PostgreSQL's copy) reads the same data. NULL is
written as \\N (the tables' csv.null-literal and COPY's NULL), so an empty field is the empty
string in both systems. No value holds a comma, quote, tab or '|', which the comparison splits on.

  people.csv  id INT, name STRING, city STRING, age INT, salary BIGINT, bonus DECIMAL(8, 2),
              active BOOLEAN                        (300 rows; NULLs in every column but id)
  events.csv  id INT, pid INT, kind STRING, amount INT, ts TIMESTAMP(3)
              (400 rows over 10 minutes, in order but for jitter below the watermark's 10 s)
"""
import os
import random
import sys
import time

N = "\\N"


def maybe(rng, value, p=0.1):
    return N if rng.random() < p else value


def people(rng):
    names = ["alice", "Bob", "carol", "DAVE", "eve", "Frank", "grace", "heidi", "ivan",
             "judy", "mallory", "oscar", " peggy", "trent ", "  victor  ", "", "walter",
             "x_ray", "yolanda", "zed%"]
    cities = ["Berlin", "Paris", "Zürich", "São Paulo", "Oslo", "New York", "Köln", ""]
    rows = []
    for i in range(1, 301):
        name = maybe(rng, rng.choice(names) + (str(i % 7) if rng.random() < 0.3 else ""))
        city = maybe(rng, rng.choice(cities))
        age = maybe(rng, str(rng.randint(-5, 90)))
        salary = maybe(rng, str(rng.randint(-200000, 5000000) * 1000))
        bonus = maybe(rng, "%.2f" % (rng.randint(-99999, 999999) / 100))
        active = maybe(rng, rng.choice(["true", "false"]))
        rows.append([str(i), name, city, age, salary, bonus, active])
    return rows


def events(rng):
    kinds = ["click", "view", "buy", "Click", "refund"]
    base = 1586937600  # 2020-04-15 08:00:00 UTC
    rows = []
    for i in range(1, 401):
        # 1.5 s apart on average, each up to 4 s early: never later than the watermark's bound
        ms = int(i * 1500 - rng.randint(0, 4000))
        secs, millis = divmod(base * 1000 + ms, 1000)
        ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(secs)) + ".%03d" % millis
        pid = maybe(rng, str(rng.randint(1, 40)))
        kind = maybe(rng, rng.choice(kinds))
        amount = maybe(rng, str(rng.randint(-50, 500)))
        rows.append([str(i), pid, kind, amount, ts])
    return rows


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(",".join(r) + "\n")


def main():
    out = sys.argv[1]
    rng = random.Random(20201207)
    write(os.path.join(out, "people.csv"), people(rng))
    write(os.path.join(out, "events.csv"), events(rng))


if __name__ == "__main__":
    main()

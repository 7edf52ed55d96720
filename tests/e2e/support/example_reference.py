#!/usr/bin/env python3
"""example_reference.py: inputs for the three issue-14 example jobs (sensor_windows,
fraud_detection, order_payment_join) and their expected results, computed here independently of
Spate (plain Python over the same rows), plus the comparison of a job's output with them.

    example_reference.py gen sensors DIR            writes DIR/readings-{1,2}.csv
    example_reference.py gen transactions DIR       writes DIR/transactions-{1,2}.csv
    example_reference.py gen orders DIR             writes DIR/orders.csv, DIR/payments.csv
    example_reference.py check sensors|transactions|orders DIR OUTPUT

`check` reads every input file of DIR again, computes the expected rows, reads OUTPUT (a file, or
a directory of files as a sink writes at parallelism > 1) and compares the two as multisets,
doubles with a relative tolerance of 1e-9 (sums may be added in another order). Exit 0 when
equal; otherwise exit 1 naming what is missing and what is extra.

The inputs are built so that the expected result does not depend on parallelism or timing: no
element is late (each file's disorder stays under the jobs' 5 s out-of-orderness, and where a
job reads two files the second one's times follow the first one's, since at -p 1 one subtask
reads them one after the other), each key's elements come from one file in time order where
order matters (fraud detection), and the fixed seed makes every run the same.
"""
import csv
import os
import random
import sys

BOUND_MS = 5000  # the jobs' bounded out-of-orderness
WINDOW_MS = 10000  # sensor_windows: 10 s tumbling windows
SMALL, LARGE, MINUTE = 1.00, 500.00, 60000  # fraud_detection
JOIN_UPPER_MS = 15 * 60 * 1000  # order_payment_join: payments within 15 minutes


def disorder(rows, rng, ts_index):
    """Shuffles rows (sorted by time) locally: each moves by less than BOUND_MS - 1000."""
    keyed = [(r[ts_index] + rng.randrange(0, BOUND_MS - 1000), i, r) for i, r in enumerate(rows)]
    keyed.sort()
    return [r for _, _, r in keyed]


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for r in rows:
            w.writerow(r)


def read_csv(path):
    with open(path, newline="") as f:
        return [r for r in csv.reader(f) if r]


def gen_sensors(d):
    rng = random.Random(14)
    sensors = ["s1", "s2", "s3", "s4", "s5", "s6", "hall, north"]
    for part, times in ((1, range(0, 300000, 250)), (2, range(300000, 600000, 250))):
        rows = []
        for ts in times:
            s = sensors[rng.randrange(len(sensors))]
            rows.append([s, ts, round(rng.uniform(-10, 40), 1)])
        write_csv(os.path.join(d, f"readings-{part}.csv"), disorder(rows, rng, 1))


def expect_sensors(d):
    acc = {}
    for name in sorted(os.listdir(d)):
        if not name.startswith("readings-"):
            continue
        for s, ts, temp in read_csv(os.path.join(d, name)):
            ts, temp = int(ts), float(temp)
            start = ts - ts % WINDOW_MS
            n, total, hi = acc.get((s, start), (0, 0.0, float("-inf")))
            acc[(s, start)] = (n + 1, total + temp, max(hi, temp))
    return [[s, start, start + WINDOW_MS, n, total / n, hi]
            for (s, start), (n, total, hi) in acc.items()]


def gen_transactions(d):
    rng = random.Random(1414)
    for part, accounts, times in ((1, range(1, 1000), range(0, 1800000, 100)),
                                  (2, range(1000, 2000), range(1800000, 3600000, 100))):
        rows = []
        for ts in times:
            a = accounts[rng.randrange(len(accounts))]
            r = rng.random()
            amount = (round(rng.uniform(0.01, 0.99), 2) if r < 0.1 else
                      round(rng.uniform(500.01, 2000), 2) if r < 0.2 else
                      round(rng.uniform(1, 500), 2))
            rows.append([a, ts, amount])
        # in time order: the alert depends on each account's order of transactions
        write_csv(os.path.join(d, f"transactions-{part}.csv"), rows)


def expect_transactions(d):
    """An alert for a transaction over LARGE that directly follows (on its account) one under
    SMALL at most a minute earlier."""
    out = []
    for name in sorted(os.listdir(d)):
        if not name.startswith("transactions-"):
            continue
        last = {}
        for a, ts, amount in read_csv(os.path.join(d, name)):
            a, ts, amount = int(a), int(ts), float(amount)
            prev = last.get(a)
            if prev is not None and prev[1] < SMALL and amount > LARGE and ts - prev[0] <= MINUTE:
                out.append([a, ts, amount])
            last[a] = (ts, amount)
    return out


def gen_orders(d):
    rng = random.Random(141414)
    users = ["ann", "bo", "cy", "dee", "ed, jr."]
    orders, payments = [], []
    for oid in range(1, 3001):
        ts = oid * 1000
        orders.append([oid, users[rng.randrange(len(users))], round(rng.uniform(1, 300), 2), ts])
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            delay = rng.choice([rng.randrange(0, JOIN_UPPER_MS + 1), JOIN_UPPER_MS,
                                JOIN_UPPER_MS + rng.randrange(1, 60000)])
            payments.append([oid, round(rng.uniform(1, 300), 2), ts + delay])
    payments.sort(key=lambda p: p[2])
    write_csv(os.path.join(d, "orders.csv"), disorder(orders, rng, 3))
    write_csv(os.path.join(d, "payments.csv"), disorder(payments, rng, 2))


def expect_orders(d):
    orders = {}
    for oid, user, amount, ts in read_csv(os.path.join(d, "orders.csv")):
        orders.setdefault(int(oid), []).append((user, float(amount), int(ts)))
    out = []
    for oid, paid, pts in read_csv(os.path.join(d, "payments.csv")):
        for user, amount, ots in orders.get(int(oid), []):
            if 0 <= int(pts) - ots <= JOIN_UPPER_MS:
                out.append([int(oid), user, amount, float(paid), int(pts) - ots])
    return out


def read_output(path):
    files = ([os.path.join(path, f) for f in sorted(os.listdir(path))]
             if os.path.isdir(path) else [path])
    rows = []
    for f in files:
        rows += read_csv(f)
    return rows


def normalise(row, kinds):
    """A row as a tuple of typed values (kinds: s string, i integer, d double)."""
    if len(row) != len(kinds):
        raise ValueError(f"{len(row)} fields, want {len(kinds)}: {row}")
    conv = {"s": str, "i": int, "d": float}
    return tuple(conv[k](v) for k, v in zip(kinds, row))


def close(a, b):
    return all(x == y if not isinstance(x, float) else abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
               for x, y in zip(a, b))


def check(kind, d, output):
    expect, kinds = {"sensors": (expect_sensors, "siiidd"),
                     "transactions": (expect_transactions, "iid"),
                     "orders": (expect_orders, "isddi")}[kind]
    want = sorted(normalise([str(v) for v in r], kinds) for r in expect(d))
    try:
        got = sorted(normalise(r, kinds) for r in read_output(output))
    except (ValueError, OSError) as e:
        print(f"{output}: {e}")
        return 1
    # match rows by their exact (non-double) fields, then doubles within the tolerance
    buckets = {}
    for g in got:
        buckets.setdefault(tuple(v for v in g if not isinstance(v, float)), []).append(g)
    missing = []
    for w in want:
        bucket = buckets.get(tuple(v for v in w if not isinstance(v, float)), [])
        hit = next((i for i, g in enumerate(bucket) if close(w, g)), None)
        if hit is None:
            missing.append(w)
        else:
            bucket.pop(hit)
    extra = [g for b in buckets.values() for g in b]
    if not missing and not extra and want:
        print(f"{kind}: {len(got)} rows as expected")
        return 0
    print(f"{kind}: {len(want)} rows expected, {len(got)} written")
    for r in missing[:10]:
        print(f"missing {r}")
    for r in extra[:10]:
        print(f"extra   {r}")
    return 1


def main(argv):
    if len(argv) >= 3 and argv[0] == "gen":
        os.makedirs(argv[2], exist_ok=True)
        {"sensors": gen_sensors, "transactions": gen_transactions, "orders": gen_orders}[argv[1]](argv[2])
        return 0
    if len(argv) == 4 and argv[0] == "check":
        return check(argv[1], argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

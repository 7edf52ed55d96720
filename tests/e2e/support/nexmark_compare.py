#!/usr/bin/env python3
"""nexmark_compare.py: compares a Nexmark query's result from Spate with PostgreSQL's.

    nexmark_compare.py [--changelog | --totals K] SPATE_OUTPUT PG_CSV

SPATE_OUTPUT is what a query job wrote with --output (a CSV file, or a directory of CSV files at
parallelism above 1); PG_CSV is `COPY (query) TO STDOUT WITH CSV` of the same query's batch SQL.
Rows are compared as multisets. With --changelog, Spate's rows start with Flink's change kind
(+I, -U, +U, -D) and are applied in the order of each file (a key's changes all come from one
subtask, so from one file): +I and +U add their row, -U and -D retract one that must be there;
what remains is compared. Values are compared as text after one normalisation: a
timestamp's fraction of a second is written with three digits (PostgreSQL drops trailing zeros).
With --totals K (for a count per key and window whose windows are not deterministic, as
processing-time windows), Spate's rows are a key (their first K columns), a count (column K+1)
and the window (the rest): no key and window may come twice, and the counts are summed per key
into rows (key, total), which are what is compared with PostgreSQL's rows (key, count).
Prints the row count when equal; otherwise how many rows each side has that the other lacks and
a few of them, and exits 1.
"""
import collections
import csv
import os
import re
import sys

TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,9}))?$")


def norm(value):
    m = TS.match(value)
    if m:
        frac = (m.group(2) or "").ljust(3, "0")[:3]
        return f"{m.group(1)}.{frac}"
    return value


def rows(path, changelog=False):
    files = [path]
    if os.path.isdir(path):
        files = [os.path.join(path, f) for f in sorted(os.listdir(path)) if not f.startswith(".")]
    out = collections.Counter()
    for f in files:
        with open(f, newline="", encoding="utf-8") as fh:
            for line, rec in enumerate(csv.reader(fh), 1):
                if not changelog:
                    out[tuple(norm(v) for v in rec)] += 1
                    continue
                kind, row = rec[0], tuple(norm(v) for v in rec[1:])
                if kind in ("+I", "+U"):
                    out[row] += 1
                elif kind in ("-U", "-D") and out[row] > 0:
                    out[row] -= 1
                else:
                    sys.exit(f"{f}:{line}: {kind} of a row that is not there: {','.join(row)}")
    return +out


def totals(counted, k):
    out = collections.Counter()
    for rec, n in counted.items():
        if n > 1:
            sys.exit(f"a key and window come {n} times: {','.join(rec)}")
        if len(rec) <= k or not re.fullmatch(r"-?\d+", rec[k]):
            sys.exit(f"no count in column {k + 1}: {','.join(rec)}")
        key = rec[:k]
        out[key] += int(rec[k])
    return collections.Counter({key + (str(n),): 1 for key, n in out.items()})


def main():
    args = sys.argv[1:]
    changelog = bool(args) and args[0] == "--changelog"
    k = None
    if changelog:
        args = args[1:]
    elif len(args) >= 2 and args[0] == "--totals" and args[1].isdigit() and int(args[1]) > 0:
        k, args = int(args[1]), args[2:]
    if len(args) != 2:
        sys.exit(__doc__)
    spate, pg = rows(args[0], changelog), rows(args[1])
    if k is not None:
        spate = totals(spate, k)
    if spate == pg:
        print(f"{sum(pg.values())} rows equal")
        return 0
    only_spate, only_pg = spate - pg, pg - spate
    print(f"differ: Spate {sum(spate.values())} rows, PostgreSQL {sum(pg.values())}; "
          f"{sum(only_spate.values())} only in Spate, {sum(only_pg.values())} only in PostgreSQL")
    for label, side in (("only in Spate", only_spate), ("only in PostgreSQL", only_pg)):
        for rec in sorted(side)[:5]:
            print(f"  {label}: {','.join(rec)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""nexmark_compare.py: compares a Nexmark query's result from Spate with PostgreSQL's.

    nexmark_compare.py [--changelog] [--totals K] SPATE_OUTPUT PG_CSV
    nexmark_compare.py [--changelog] --top N --partition COLS [--rank-column C] SPATE_OUTPUT PG_CSV

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

--top N: a Top-N query (ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) <= N) whose ORDER BY
can tie, so that which of the tied rows the stream keeps depends on arrival order (which differs
between parallelisms). PG_CSV then holds every candidate: each row of the query's columns with
RANK() <= N instead of ROW_NUMBER() <= N, followed by one more column, that RANK(). COLS are the
0-based columns of the partition (comma-separated). Rows of a partition with equal RANK are the
rows tied on the ORDER BY (a tie group of g rows ranked r covers places r .. r+g-1). Spate's
rows (after the changelog, if given) must pass, per partition:
  - each row is one of the candidates (equal on every column but the rank column), no candidate
    used twice;
  - from each tie group exactly min(g, max(0, N - r + 1)) rows: an untied row, or a group wholly
    within the top N, must be there, so only the choice inside the group cut by place N is free;
    so the row count is min(N, rows of the partition) and every ORDER BY value is determined;
  - with --rank-column C (the query outputs its ROW_NUMBER in column C), each row's number lies
    in its group's places r .. r+g-1 and the numbers of a partition are distinct.
Partitions with no candidate must have no rows. Prints the counts when all hold; otherwise the
first few violations, and exits 1.
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


def compare_top(spate, pg, n, partition, rank_column):
    """The --top check (see the module's doc); returns the exit code."""
    def part(rec):
        return tuple(rec[c] for c in partition)

    def strip(rec):  # the row without the ROW_NUMBER column
        return rec if rank_column is None else rec[:rank_column] + rec[rank_column + 1:]

    # candidates[partition][rank] = Counter of stripped rows; their RANK from PostgreSQL
    candidates = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    for rec, count in pg.items():
        candidates[part(rec[:-1])][int(rec[-1])][strip(rec[:-1])] += count
    chosen = collections.defaultdict(list)
    for rec, count in spate.items():
        chosen[part(rec)].extend([rec] * count)
    errors = []
    for key in sorted(set(chosen) - set(candidates)):
        errors.append(f"partition {','.join(key)}: {len(chosen[key])} rows, PostgreSQL none")
    ties = 0
    for key in sorted(candidates):
        groups = candidates[key]
        # the tie group (its rank) of each candidate row
        group_of = {row: r for r, rows in groups.items() for row in rows}
        taken = collections.defaultdict(collections.Counter)
        numbers = []
        for rec in chosen.get(key, []):
            row = strip(rec)
            r = group_of.get(row)
            if r is None:
                errors.append(f"partition {','.join(key)}: not a candidate: {','.join(rec)}")
                continue
            taken[r][row] += 1
            if rank_column is not None:
                numbers.append((rec[rank_column], r, sum(groups[r].values()), rec))
        for r, rows in sorted(groups.items()):
            g = sum(rows.values())
            want = min(g, max(0, n - r + 1))
            got = sum(taken[r].values())
            ties += g > 1 and want > 0
            if got != want or taken[r] - rows:
                errors.append(f"partition {','.join(key)}: rank {r} has {g} candidates, "
                              f"{want} must be chosen, Spate has {got} "
                              f"(or one of them twice): {[','.join(x) for x in taken[r]]}")
        seen = set()
        for number, r, g, rec in numbers:
            if not number.isdigit() or not r <= int(number) <= r + g - 1 or number in seen:
                errors.append(f"partition {','.join(key)}: row number {number} outside places "
                              f"{r}..{r + g - 1} or repeated: {','.join(rec)}")
            seen.add(number)
    if not errors:
        print(f"{sum(spate.values())} rows in {len(candidates)} partitions agree "
              f"({sum(pg.values())} candidates, {ties} tie groups at stake)")
        return 0
    print(f"differ: {len(errors)} violations; Spate {sum(spate.values())} rows, "
          f"PostgreSQL {sum(pg.values())} candidates in {len(candidates)} partitions")
    for e in errors[:8]:
        print(f"  {e}")
    return 1


def main():
    args = sys.argv[1:]
    changelog = bool(args) and args[0] == "--changelog"
    if changelog:
        args = args[1:]
    k = None
    if len(args) >= 2 and args[0] == "--totals" and args[1].isdigit() and int(args[1]) > 0:
        k, args = int(args[1]), args[2:]
    if len(args) >= 4 and args[0] == "--top" and args[2] == "--partition":
        n, partition = int(args[1]), [int(c) for c in args[3].split(",")]
        rank_column, args = None, args[4:]
        if len(args) >= 2 and args[0] == "--rank-column":
            rank_column, args = int(args[1]), args[2:]
        if len(args) != 2:
            sys.exit(__doc__)
        return compare_top(rows(args[0], changelog), rows(args[1]), n, partition, rank_column)
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

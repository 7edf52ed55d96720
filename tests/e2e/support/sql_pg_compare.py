#!/usr/bin/env python3
"""sql_pg_compare.py: the query table and the result comparison of test_sql_postgres.sh.

  split QUERIES DIR    writes each query of the table as DIR/NN.name, DIR/NN.spate.sql and
                       DIR/NN.pg.sql and prints the number of queries
  segments OUT DIR     splits the output of a script of the tables' three statements and then
                       queries into DIR/0, DIR/1, ..., one per query that ran, and prints how
                       many it wrote
  compare-all DIR N... compare DIR/NN.spate.out and DIR/NN.pg.out for each query number N given,
                       writing DIR/NN.diff (empty when they agree); one process for all, as
                       Python's start is slow on a loaded machine
  compare SPATE PG     compares `spate sql -f` output (its last result) with psql's unaligned,
                       tab-separated output (-A -t -F TAB, NULL as <NULL>) as multisets of rows;
                       exit 1 with both sides' differences shown when they differ

The query table: a line "## name" opens a query; its SQL follows (Spate's, and PostgreSQL's too),
unless a line "-- postgres" splits it into Spate's SQL and PostgreSQL's equivalent.

Spate's result is its tableau with the op column: the rows of the changelog, applied in order
(+I and +U add a row, -U and -D remove one), form the final table. Values are normalised before
they are compared: numbers by value (integral ones exactly, others to 12 significant digits, so
DOUBLE printed by Java's rules and by PostgreSQL's agree, as do DECIMAL scales), timestamps
without trailing zero fractions (Spate prints TIMESTAMP(3) with .000, PostgreSQL drops them),
and PostgreSQL's booleans t/f as TRUE/FALSE. The tableau pads its cells, so a string's outer
spaces are lost: queries show them between brackets.
"""
import collections
import decimal
import os
import re
import sys

NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d+)?$")


def norm(v, pg):
    if pg and v in ("t", "f"):
        return "TRUE" if v == "t" else "FALSE"
    if NUMBER.match(v):
        d = decimal.Decimal(v)
        if d == d.to_integral_value():
            return str(int(d))
        return "%.12g" % float(d)
    m = TIMESTAMP.match(v)
    if m:
        frac = (m.group(2) or "").rstrip("0").rstrip(".")
        return m.group(1) + frac
    return v


def spate_rows(path):
    """The final table of the last result in the client's output: its changelog applied."""
    lines = open(path, encoding="utf-8").read().split("\n")
    start = max((i for i, l in enumerate(lines) if l.startswith("Spate SQL> ")), default=-1)
    rows = collections.Counter()
    if start < 0:
        sys.exit("no statement in the client's output")
    tail = lines[start:]
    if any(l == "Empty set" for l in tail):
        return rows
    seps = [i for i, l in enumerate(tail) if l.startswith("+-")]
    if len(seps) < 3:
        sys.exit("no result table after the query in the client's output")
    for line in tail[seps[1] + 1:seps[2]]:
        cells = [c.strip() for c in line[1:-1].split(" | ")]
        op, row = cells[0], tuple(norm(c, False) for c in cells[1:])
        if op in ("+I", "+U"):
            rows[row] += 1
        elif op in ("-U", "-D"):
            if rows[row] == 0:
                sys.exit("%s retracts a row the table does not hold: %s" % (op, "|".join(row)))
            rows[row] -= 1
        else:
            sys.exit("unknown op %r" % op)
    return +rows


def pg_rows(path):
    rows = collections.Counter()
    for line in open(path, encoding="utf-8").read().split("\n"):
        if line:
            rows[tuple(norm(c.strip(), True) for c in line.split("\t"))] += 1
    return rows


def split(queries, out):
    blocks = []
    for line in open(queries, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("## "):
            blocks.append([line[3:], [], None])
        elif blocks and line.strip() == "-- postgres":
            blocks[-1][2] = []
        elif blocks and line.strip():
            (blocks[-1][1] if blocks[-1][2] is None else blocks[-1][2]).append(line)
    for n, (name, spate, pg) in enumerate(blocks, 1):
        base = os.path.join(out, "%02d" % n)
        with open(base + ".name", "w") as f:
            f.write(name + "\n")
        with open(base + ".spate.sql", "w") as f:
            f.write("\n".join(spate) + ";\n")
        with open(base + ".pg.sql", "w") as f:
            f.write("\n".join(pg if pg is not None else spate) + ";\n")
    print(len(blocks))


def segments(out, directory, prelude=3):
    """The client's output split at its prompts: the first `prelude` statements are the tables'."""
    parts, cur = [], None
    for line in open(out, encoding="utf-8").read().split("\n"):
        if line.startswith("Spate SQL> "):
            cur = []
            parts.append(cur)
        if cur is not None:
            cur.append(line)
    queries = parts[prelude:]
    for i, part in enumerate(queries):
        with open(os.path.join(directory, str(i)), "w") as f:
            f.write("\n".join(part).rstrip("\n") + "\n")
    print(len(queries))


def compare(spate, pg):
    try:
        a, b = spate_rows(spate), pg_rows(pg)
    except SystemExit as e:  # a result that does not parse is a difference
        print(e.code)
        return 1
    if a == b:
        return 0
    only_a, only_b = a - b, b - a
    print("rows only in Spate's result (%d of %d):" % (sum(only_a.values()), sum(a.values())))
    for r in sorted(only_a.elements())[:20]:
        print("  < " + " | ".join(r))
    print("rows only in PostgreSQL's result (%d of %d):" % (sum(only_b.values()), sum(b.values())))
    for r in sorted(only_b.elements())[:20]:
        print("  > " + " | ".join(r))
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "segments":
        segments(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "compare-all":
        for n in sys.argv[3:]:
            base = os.path.join(sys.argv[2], "%02d" % int(n))
            with open(base + ".diff", "w") as out:
                sys.stdout = out
                compare(base + ".spate.out", base + ".pg.out")
                sys.stdout = sys.__stdout__
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit("usage: sql_pg_compare.py split QUERIES DIR | segments OUT DIR | "
                 "compare SPATE_OUT PG_OUT")

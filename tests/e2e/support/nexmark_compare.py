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

Scale: both sides are written as canonical lines (one a row, its normalised values escaped and
joined by tabs), sorted, and compared as sorted streams; --top sorts with the partition's values
in front and checks one partition at a time. Inputs of up to NEXMARK_COMPARE_IN_MEMORY bytes
together (default 256 MiB) are sorted in memory; larger ones on disk by GNU sort (LC_ALL=C,
memory NEXMARK_SORT_MEM, default 512M; temporary files next to PG_CSV), so a comparison of
outputs of millions of rows keeps no row in memory; when both sides hold neither a quote nor a
carriage return (each line a record, its values between commas), sed normalises the lines and
Python reads none of them unless they differ. What stays in memory regardless is the
changelog's current rows (the final result's size) and --totals's sums.
"""
import collections
import csv
import io
import itertools
import os
import re
import subprocess
import sys
import tempfile

TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,9}))?$")
# A canonical line's escapes: its values cannot hold the tab that separates them, nor a line end
ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
UNESCAPE = re.compile(r"\\(.)")
UNESCAPED = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
SPECIAL = re.compile(r"[\\\n\r]")
# In a canonical line: a value that is a timestamp whose fraction is not three digits (norm)
TS_FIELD = re.compile(r"(?<![^\t])(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,2}|\d{4,9}))?(?![^\t])")


def norm(value):
    if len(value) < 19 or value[4] != "-":  # cheap test first: most values are no timestamp
        return value
    m = TS.match(value)
    if m:
        frac = (m.group(2) or "").ljust(3, "0")[:3]
        return f"{m.group(1)}.{frac}"
    return value


def files_of(path):
    if os.path.isdir(path):
        return [os.path.join(path, f) for f in sorted(os.listdir(path)) if not f.startswith(".")]
    return [path]


def records(path):
    """Each CSV record of PATH (a file or a directory of files), as read (line() normalises)."""
    for f in files_of(path):
        with open(f, newline="", encoding="utf-8") as fh:
            yield from csv.reader(fh)


def fix_ts(m):
    return f"{m.group(1)}.{(m.group(2) or '').ljust(3, '0')[:3]}"


def line(rec):
    """A record's canonical line: its values normalised (norm) and escaped, joined by tabs."""
    text = "\t".join(rec)
    if text.count("\t") != len(rec) - 1 or SPECIAL.search(text):  # rare: escape each value
        text = "\t".join(v.translate(ESCAPE) for v in rec)
    return TS_FIELD.sub(fix_ts, text)


def unline(text):  # a canonical line (without its "\n") back to its values
    return [UNESCAPE.sub(lambda m: UNESCAPED[m.group(1)], v) for v in text.split("\t")]


def changelog_rows(path):
    """Applies the changelog of PATH (see the module's doc); returns the Counter that remains."""
    out = collections.Counter()
    for f in files_of(path):
        with open(f, newline="", encoding="utf-8") as fh:
            for n, rec in enumerate(csv.reader(fh), 1):
                kind, row = rec[0], tuple(norm(v) for v in rec[1:])
                if kind in ("+I", "+U"):
                    out[row] += 1
                elif kind in ("-U", "-D") and out[row] > 0:
                    out[row] -= 1
                else:
                    sys.exit(f"{f}:{n}: {kind} of a row that is not there: {','.join(row)}")
    return +out


def elements(counter):
    for rec, n in counter.items():
        for _ in range(n):
            yield rec


class Sorter:
    """Sorts canonical lines: in memory (in_memory), else with GNU sort into a file under
    directory. feed() the lines, then done(); lines() gives them back in order. Both orders are
    by code point, which is UTF-8's byte order, and a line sorts before its extensions."""

    def __init__(self, directory, name, in_memory):
        self.path = os.path.join(directory, name)
        self.memory = [] if in_memory else None
        self.count = 0
        if in_memory:
            return
        env = dict(os.environ, LC_ALL="C")
        self.proc = subprocess.Popen(
            ["sort", "-S", os.environ.get("NEXMARK_SORT_MEM", "512M"), "-T", directory,
             "-o", self.path], stdin=subprocess.PIPE, env=env)

    def feed(self, lines):
        if self.memory is not None:
            self.memory.extend(lines)
            self.memory.sort()
            self.count = len(self.memory)
            return self
        with io.TextIOWrapper(self.proc.stdin, encoding="utf-8", newline="") as out:
            while True:
                chunk = list(itertools.islice(lines, 65536))
                if not chunk:
                    break
                out.write("\n".join(chunk) + "\n")
                self.count += len(chunk)
        return self

    def done(self):
        if self.memory is None and self.proc.wait() != 0:
            sys.exit(f"sort failed (exit {self.proc.returncode}) writing {self.path}")
        return self

    def same(self, other):
        if self.count != other.count:
            return False
        if self.memory is not None:
            return self.memory == other.memory
        return subprocess.call(["cmp", "-s", self.path, other.path]) == 0

    def lines(self):
        if self.memory is not None:
            yield from self.memory
            return
        with open(self.path, encoding="utf-8", newline="\n") as fh:
            for text in fh:
                yield text[:-1]


def in_memory(paths):
    """Whether inputs of this size are sorted in memory: up to NEXMARK_COMPARE_IN_MEMORY bytes
    (default 256 MiB) together; above, GNU sort sorts them on disk."""
    limit = int(os.environ.get("NEXMARK_COMPARE_IN_MEMORY") or 256 << 20)
    return sum(os.path.getsize(f) for p in paths for f in files_of(p)) <= limit


# The timestamp normalisation (norm) as sed expressions over CSV lines without quotes, where a
# value is what lies between commas. Each runs twice: a match takes the comma after its value,
# so of two neighbouring values the first pass can miss the second, never the second pass.
_T = "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
SED = [e for x in (rf"s/(^|,)({_T})(,|$)/\1\2.000\3/g",
                   rf"s/(^|,)({_T})\.([0-9])(,|$)/\1\2.\300\4/g",
                   rf"s/(^|,)({_T})\.([0-9]{{2}})(,|$)/\1\2.\30\4/g",
                   rf"s/(^|,)({_T}\.[0-9]{{3}})[0-9]{{1,6}}(,|$)/\1\2\3/g") for e in (x, x)]


class RawSorter(Sorter):
    """The fast way for big plain outputs without a quote or a carriage return: then each line
    is one record and its values are what lies between commas, so the lines themselves, with
    their timestamps normalised by sed, are canonical; sed and GNU sort do it all."""

    def __init__(self, directory, name, files):
        self.path = os.path.join(directory, name)
        self.memory = None
        env = dict(os.environ, LC_ALL="C")
        sed = subprocess.Popen(["sed", "-E"] + [a for e in SED for a in ("-e", e)] + files,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
        self.proc = subprocess.Popen(
            ["sort", "-S", os.environ.get("NEXMARK_SORT_MEM", "512M"), "-T", directory,
             "-o", self.path], stdin=sed.stdout, env=env)
        sed.stdout.close()
        self.sed = sed

    def done(self):
        if self.sed.wait() != 0 or self.proc.wait() != 0:
            sys.exit(f"sed or sort failed writing {self.path}")
        with open(self.path, "rb") as fh:
            self.count = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        return self


def plain_lines(paths):
    """Whether the files of paths hold neither a quote nor a carriage return (RawSorter)."""
    files = [f for p in paths for f in files_of(p)]
    found = subprocess.run(["grep", "-q", "-F", "-e", '"', "-e", "\r", "--"] + files,
                           stdin=subprocess.DEVNULL, env=dict(os.environ, LC_ALL="C"))
    return found.returncode == 1


def compare_multisets(spate_lines, pg_lines, directory, memory, raw=None):
    """Compares two streams of canonical lines as multisets (or, with raw, the plain CSV
    files of its two paths: RawSorter); returns the exit code."""
    if raw:
        spate = RawSorter(directory, "spate.sorted", files_of(raw[0]))
        pg = RawSorter(directory, "pg.sorted", files_of(raw[1]))
        show = lambda text: text  # noqa: E731
    else:
        spate = Sorter(directory, "spate.sorted", memory).feed(spate_lines)
        pg = Sorter(directory, "pg.sorted", memory).feed(pg_lines)
        show = lambda text: ",".join(unline(text))  # noqa: E731
    spate.done(), pg.done()
    if spate.same(pg):
        print(f"{pg.count} rows equal")
        return 0
    only = {"Spate": [0, []], "PostgreSQL": [0, []]}

    def note(label, text):
        only[label][0] += 1
        if len(only[label][1]) < 5:
            only[label][1].append(show(text))

    a, b = spate.lines(), pg.lines()
    x, y = next(a, None), next(b, None)
    while x is not None or y is not None:
        if y is None or (x is not None and x < y):
            note("Spate", x)
            x = next(a, None)
        elif x is None or y < x:
            note("PostgreSQL", y)
            y = next(b, None)
        else:
            x, y = next(a, None), next(b, None)
    print(f"differ: Spate {spate.count} rows, PostgreSQL {pg.count}; "
          f"{only['Spate'][0]} only in Spate, {only['PostgreSQL'][0]} only in PostgreSQL")
    for label in ("Spate", "PostgreSQL"):
        for rec in only[label][1]:
            print(f"  only in {label}: {rec}")
    return 1


def totals(recs, k):
    seen = set()
    out = collections.Counter()
    for rec in recs:
        rec = tuple(norm(v) for v in rec)
        if rec in seen:
            sys.exit(f"a key and window come twice: {','.join(rec)}")
        seen.add(rec)
        if len(rec) <= k or not re.fullmatch(r"-?\d+", rec[k]):
            sys.exit(f"no count in column {k + 1}: {','.join(rec)}")
        out[rec[:k]] += int(rec[k])
    return [key + (str(n),) for key, n in out.items()]


def check_partition(key, candidate_recs, chosen, n, rank_column, errors):
    """The --top check of one partition (see the module's doc); returns its tie groups at stake.
    candidate_recs: PostgreSQL's rows of the partition, each ending in its RANK; chosen: Spate's."""
    def strip(rec):  # the row without the ROW_NUMBER column
        return rec if rank_column is None else rec[:rank_column] + rec[rank_column + 1:]

    name = ",".join(key)
    if not candidate_recs:
        errors.append(f"partition {name}: {len(chosen)} rows, PostgreSQL none")
        return 0
    # groups[rank] = Counter of stripped rows; their RANK from PostgreSQL
    groups = collections.defaultdict(collections.Counter)
    for rec in candidate_recs:
        groups[int(rec[-1])][strip(rec[:-1])] += 1
    # the tie group (its rank) of each candidate row
    group_of = {row: r for r, rows in groups.items() for row in rows}
    taken = collections.defaultdict(collections.Counter)
    numbers = []
    for rec in chosen:
        row = strip(rec)
        r = group_of.get(row)
        if r is None:
            errors.append(f"partition {name}: not a candidate: {','.join(rec)}")
            continue
        taken[r][row] += 1
        if rank_column is not None:
            numbers.append((rec[rank_column], r, sum(groups[r].values()), rec))
    ties = 0
    for r, rows in sorted(groups.items()):
        g = sum(rows.values())
        want = min(g, max(0, n - r + 1))
        got = sum(taken[r].values())
        ties += g > 1 and want > 0
        if got != want or taken[r] - rows:
            errors.append(f"partition {name}: rank {r} has {g} candidates, "
                          f"{want} must be chosen, Spate has {got} "
                          f"(or one of them twice): {[','.join(x) for x in taken[r]]}")
    seen = set()
    for number, r, g, rec in numbers:
        if not number.isdigit() or not r <= int(number) <= r + g - 1 or number in seen:
            errors.append(f"partition {name}: row number {number} outside places "
                          f"{r}..{r + g - 1} or repeated: {','.join(rec)}")
        seen.add(number)
    return ties


def compare_top(spate_recs, pg_recs, n, partition, rank_column, directory, memory):
    """The --top check: both sides sorted with their partition's values in front, then checked
    one partition at a time; returns the exit code."""
    k = len(partition)
    errors = []
    ties = partitions = violations = 0
    if memory:  # small: the partitions' rows gathered in a dict, no canonical lines
        rows = collections.defaultdict(lambda: ([], []))
        for side, recs in ((0, pg_recs), (1, spate_recs)):
            for rec in recs:
                rec = tuple(norm(v) for v in rec)
                rows[tuple(rec[c] for c in partition)][side].append(rec)
        for key in sorted(rows):
            cands, chosen = rows[key]
            partitions += bool(cands)
            before = len(errors)
            ties += check_partition(key, cands, chosen, n, rank_column, errors)
            violations += len(errors) - before
            del errors[8:]
        return report_top(errors, violations, ties, partitions,
                          sum(len(c) for _, c in rows.values()),
                          sum(len(c) for c, _ in rows.values()))

    def keyed(recs):
        for rec in recs:
            yield line([rec[c] for c in partition]) + "\t" + line(rec)

    spate = Sorter(directory, "spate.sorted", memory).feed(keyed(spate_recs)).done()
    pg = Sorter(directory, "pg.sorted", memory).feed(keyed(pg_recs)).done()

    # A partition's lines start with the same k values and their k tabs; these prefixes of two
    # partitions differ before either ends (neither holds the other), so sort ordered the
    # partitions as the prefixes compare.
    def by_partition(side):  # (partition prefix, its records)
        def prefix(text):
            return "\t".join(text.split("\t", k)[:k]) + "\t"
        for key, texts in itertools.groupby(side.lines(), key=prefix):
            yield key, [tuple(unline(t)[k:]) for t in texts]

    a, b = by_partition(spate), by_partition(pg)
    x, y = next(a, None), next(b, None)
    while x is not None or y is not None:
        if y is None or (x is not None and x[0] < y[0]):
            key, cands, chosen, x = x[0], [], x[1], next(a, None)
        elif x is None or y[0] < x[0]:
            key, cands, chosen, y = y[0], y[1], [], next(b, None)
        else:
            key, cands, chosen = x[0], y[1], x[1]
            x, y = next(a, None), next(b, None)
        partitions += bool(cands)
        before = len(errors)
        ties += check_partition(unline(key[:-1]), cands, chosen, n, rank_column, errors)
        violations += len(errors) - before
        del errors[8:]  # the first few are shown, the rest counted
    return report_top(errors, violations, ties, partitions, spate.count, pg.count)


def report_top(errors, violations, ties, partitions, spate_rows, pg_rows):
    if not errors:
        print(f"{spate_rows} rows in {partitions} partitions agree "
              f"({pg_rows} candidates, {ties} tie groups at stake)")
        return 0
    print(f"differ: {violations} violations; Spate {spate_rows} rows, PostgreSQL {pg_rows} "
          f"candidates in {partitions} partitions")
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
    top = None
    if len(args) >= 4 and args[0] == "--top" and args[2] == "--partition":
        n, partition = int(args[1]), [int(c) for c in args[3].split(",")]
        rank_column, args = None, args[4:]
        if len(args) >= 2 and args[0] == "--rank-column":
            rank_column, args = int(args[1]), args[2:]
        top = (n, partition, rank_column)
    if len(args) != 2:
        sys.exit(__doc__)
    spate = elements(changelog_rows(args[0])) if changelog else records(args[0])
    if k is not None:
        spate = totals(spate, k)
    pg = records(args[1])
    memory = in_memory(args)
    with tempfile.TemporaryDirectory(prefix="compare.",
                                     dir=os.path.dirname(os.path.abspath(args[1]))) as d:
        if top:
            return compare_top(spate, pg, *top, d, memory)
        raw = None
        if not memory and not changelog and k is None and plain_lines(args):
            raw = args
        return compare_multisets(map(line, spate), map(line, pg), d, memory, raw)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""nexmark_partitions.py: gathers a partitioned file sink's output into one CSV.

    nexmark_partitions.py [--success NAME] DIR KEY... > rows.csv

DIR is what the exactly-once file sink wrote with partition keys KEY... (Flink's filesystem
layout): DIR/KEY1=v1/KEY2=v2/part-* files of CSV rows without the partition columns. Each row is
written with its partition values appended, in KEY order, unescaped from the directory names
(Flink escapes characters such as ':' as "%3A"). Fails (exit 1, naming the path) on a directory
that is not the next key's, a file above the last level, or a hidden file (an in-progress or
pending part left behind: after the job has finished every part must be committed).
With --success NAME every partition directory must hold the empty file NAME (the partition
commit's success file), which is not read as data; the number of partitions goes to stderr.
"""
import csv
import os
import re
import sys

ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def unescape(name):
    return ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), name)


def gather(path, keys, values, out, success, counts):
    entries = sorted(os.listdir(path))
    if success and len(values) == len(keys):
        marker = os.path.join(path, success)
        if not os.path.isfile(marker) or os.path.getsize(marker) != 0:
            sys.exit(f"{path}: the partition has no empty success file {success}")
        entries.remove(success)
        counts[0] += 1
    for name in entries:
        full = os.path.join(path, name)
        if name.startswith(".") or name.startswith("_"):
            sys.exit(f"{full}: a hidden file is left behind")
        if len(values) < len(keys):
            key, eq, value = name.partition("=")
            if not os.path.isdir(full) or not eq or unescape(key) != keys[len(values)]:
                sys.exit(f"{full}: not a partition directory {keys[len(values)]}=<value>")
            gather(full, keys, values + [unescape(value)], out, success, counts)
        elif os.path.isdir(full):
            sys.exit(f"{full}: a directory below the last partition key")
        else:
            with open(full, newline="", encoding="utf-8") as fh:
                for rec in csv.reader(fh):
                    out.writerow(rec + values)


def main():
    args = sys.argv[1:]
    success = None
    if args[:1] == ["--success"] and len(args) > 1:
        success, args = args[1], args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    counts = [0]
    gather(args[0], args[1:], [], csv.writer(sys.stdout, lineterminator="\n"), success, counts)
    if success:
        print(f"{counts[0]} partitions, each with {success}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Aggregates a MariaDB slow log written with long_query_time = 0 (benchmarks/sql_profile).

Statements are grouped by shape: quoted strings become ?, numbers N, and VALUES / IN
lists collapse to (..), so a 3-row and a 200-row insert into one table are one line.
Prints, per shape: calls, total wall time inside the server (Query_time: it includes
lock waits and the commit's log flush, not only CPU), its share, the mean, and the mean
rows examined (a point lookup that examines thousands of rows is a scan). Then the
shapes of the slowest single statements, which is where tail latency comes from.
"""
import collections
import re
import sys


def shape(statement):
    text = re.sub(r"'(?:[^'\\]|\\.)*'", "?", statement)
    text = re.sub(r"\b\d+(?:\.\d+)?\b", "N", text)
    text = re.sub(r"(\((?:[?N]|NULL)(?:,\s*(?:[?N]|NULL|NOW\(N\)|[A-Z_]+\([^)]*\)))*\),?\s*)+", "(..) ", text)
    text = re.sub(r"IN \((?:[?N],?\s*)+\)", "IN (..)", text)
    text = re.sub(r"(WHEN [^T]+ THEN [?N]\s*)+", "WHEN .. ", text)
    return re.sub(r"\s+", " ", text).strip()


def read(path):
    """Yields (query_time_s, rows_examined, statement) per logged statement."""
    query_time = None
    rows_examined = 0
    with open(path, errors="replace") as log:
        for line in log:
            if line.startswith("# Query_time:"):
                fields = line.split()
                query_time = float(fields[2])
                if "Rows_examined:" in fields:
                    rows_examined = int(fields[fields.index("Rows_examined:") + 1])
            elif line.startswith(("#", "SET timestamp", "use ")) or query_time is None:
                continue
            else:
                yield query_time, rows_examined, line.strip()
                query_time = None


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: sql_profile.py SLOW_LOG [TOP] [OUTLIER_MS]")
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    outlier_s = (float(sys.argv[3]) if len(sys.argv) > 3 else 15.0) / 1000
    shapes = collections.defaultdict(lambda: [0, 0.0, 0])
    outliers = collections.Counter()
    for query_time, examined, statement in read(sys.argv[1]):
        key = shape(statement)[:110]
        entry = shapes[key]
        entry[0] += 1
        entry[1] += query_time
        entry[2] += examined
        if query_time > outlier_s:
            outliers[key] += 1
    total = sum(entry[1] for entry in shapes.values()) or 1.0
    print(f"{'calls':>7} {'total ms':>9} {'share':>6} {'mean us':>8} {'examined':>8}  statement")
    for key, (calls, seconds, examined) in sorted(shapes.items(), key=lambda kv: -kv[1][1])[:top]:
        print(f"{calls:7d} {seconds * 1000:9.0f} {100 * seconds / total:5.1f}% "
              f"{seconds / calls * 1e6:8.0f} {examined / calls:8.1f}  {key}")
    print(f"total statement time: {total * 1000:.0f} ms over {sum(e[0] for e in shapes.values())} statements")
    print(f"\nstatements slower than {outlier_s * 1000:.0f} ms, by shape:")
    for key, count in outliers.most_common(top):
        print(f"{count:7d}  {key}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Builds fixtures/world/links.csv.gz, the world twin-town network pobratim ships.

It is derived from the project's shared copy of the English Wikipedia lists of twin towns
(`../shared/data/twins/links.csv`: 17,232 cities, 24,891 links; sources and licences in
`fixtures/world/LICENSES.md`). Each row is one link between two cities, with each city's
id, name, country code, country name and coordinates, and the Wikipedia list it comes
from; `pobratim import --format edge-list` reads it as it is. The empty `year` column of
the source is left out (no list records a year).

The output is deterministic: rows in the source's order, a gzip stream without a file
name or a time stamp, so that running it again changes nothing.

    python3 scripts/world_dataset.py [--source ../shared/data/twins/links.csv]
"""

import argparse
import csv
import gzip
import io
import os
import sys

COLUMNS = [
    "id_a", "city_a", "cc_a", "country_a", "lat_a", "lon_a",
    "id_b", "city_b", "cc_b", "country_b", "lat_b", "lon_b",
    "source",
]


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        default=os.path.join(root, "..", "shared", "data", "twins", "links.csv"),
    )
    parser.add_argument(
        "--out", default=os.path.join(root, "fixtures", "world", "links.csv.gz")
    )
    args = parser.parse_args()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = 0
    cities = set()
    with open(args.source, newline="", encoding="utf-8") as source:
        for row in csv.DictReader(source):
            if row["year"]:
                sys.exit(f"a year in {args.source}: the dataset leaves the column out")
            writer.writerow([row[c] for c in COLUMNS])
            cities.update((row["id_a"], row["id_b"]))
            rows += 1
    data = text.getvalue().encode("utf-8")
    with open(args.out, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
            gz.write(data)
    print(f"{rows} links between {len(cities)} cities written to {args.out} "
          f"({os.path.getsize(args.out)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

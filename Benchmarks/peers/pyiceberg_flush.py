#!/usr/bin/env python3
"""Peer for `floe bench flush`: pyiceberg `table.append` of the same per-partition 2,000-event chunks.

Reads the same NDJSON corpus, builds the `events` rows the way Floe does in historical mode
(timestamp as recorded, JSON payloads as text), groups them by (type, hour of timestamp) in
arrival order, cuts each group into chunks of `--batch`, and appends each chunk with one
`table.append` to a table (same schema, field ids and partition spec) on a SqlCatalog in a
temp dir. Timed from the first append to the last. Prints one JSON line.
"""
import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from collections import OrderedDict

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog

from events_table import arrow_schema, partition_spec, rows, schema

ap = argparse.ArgumentParser()
ap.add_argument("--input", required=True)
ap.add_argument("--batch", type=int, default=2000)
a = ap.parse_args()
received = dt.datetime.now(dt.timezone.utc)
groups: "OrderedDict[tuple, list]" = OrderedDict()
for row in rows(a.input, received):
    key = (row["type"], row["timestamp"].replace(minute=0, second=0, microsecond=0))
    groups.setdefault(key, []).append(row)
chunks = [group[i:i + a.batch] for group in groups.values() for i in range(0, len(group), a.batch)]
tables = [pa.Table.from_pylist(chunk, schema=arrow_schema()) for chunk in chunks]
with tempfile.TemporaryDirectory() as directory:
    catalog = SqlCatalog("bench", uri=f"sqlite:///{directory}/catalog.db", warehouse=f"file://{directory}/warehouse")
    catalog.create_namespace("analytics")
    table = catalog.create_table("analytics.events", schema=schema(), partition_spec=partition_spec())
    latencies = []
    start = time.perf_counter()
    for chunk in tables:
        before = time.perf_counter()
        table.append(chunk)
        latencies.append((time.perf_counter() - before) * 1000)
    seconds = time.perf_counter() - start
events = sum(t.num_rows for t in tables)
print(json.dumps({"peer": "pyiceberg", "events": events, "files": len(tables), "commits": len(tables),
                  "seconds": seconds, "events_per_s": int(events / seconds),
                  "commit_ms_p50": statistics.median(latencies), "commit_ms_p90": sorted(latencies)[int(0.9 * (len(latencies) - 1))]}))

#!/usr/bin/env python3
"""Peer for `floe backfill`: pyarrow.json reads the same NDJSON, pyiceberg appends it in 1M-row batches.

The Segment messages are flattened into the `events` columns (JSON payloads as text) with
pyarrow compute where possible; timed from reading the file to the last commit.
"""
import argparse
import json
import tempfile
import time

import pyarrow as pa
import pyarrow.json as pj
from pyiceberg.catalog.sql import SqlCatalog

import datetime as dt

from events_table import arrow_schema, partition_spec, rows, schema

ap = argparse.ArgumentParser()
ap.add_argument("--input", required=True, help="NDJSON (plain; pyarrow.json reads it)")
ap.add_argument("--batch", type=int, default=1_000_000)
a = ap.parse_args()
read_start = time.perf_counter()
# pyarrow.json cannot infer the corpus's free-form payloads (a property is a bool in one row and a
# string in another), so it reads the top-level fields with an explicit schema; the rows are then
# shaped like Floe's table in Python. Neither is timed: only pyiceberg's appends are.
top_level = pa.schema([(name, pa.string()) for name in ("messageId", "type", "userId", "anonymousId", "event",
                                                        "timestamp", "sentAt")])
raw = pj.read_json(a.input, parse_options=pj.ParseOptions(explicit_schema=top_level,
                                                          unexpected_field_behavior="ignore"))
received = dt.datetime.now(dt.timezone.utc)
shaped = list(rows(a.input, received))
# Shaping in Python (JSON payloads to text) is not pyiceberg's cost: only the appends are timed.
shape_seconds = time.perf_counter() - read_start
start = time.perf_counter()
with tempfile.TemporaryDirectory() as directory:
    catalog = SqlCatalog("bench", uri=f"sqlite:///{directory}/catalog.db", warehouse=f"file://{directory}/warehouse")
    catalog.create_namespace("analytics")
    table = catalog.create_table("analytics.events", schema=schema(), partition_spec=partition_spec())
    for i in range(0, len(shaped), a.batch):
        table.append(pa.Table.from_pylist(shaped[i:i + a.batch], schema=arrow_schema()))
    seconds = time.perf_counter() - start
print(json.dumps({"peer": "pyiceberg", "events": raw.num_rows, "seconds": seconds,
                  "events_per_s": int(raw.num_rows / seconds), "read_and_shape_seconds_untimed": shape_seconds}))

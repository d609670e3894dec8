#!/usr/bin/env python3
"""Peer for `floe bench parquet`: polars' DataFrame.write_parquet on the same rows, best of N.

The rows are those of the file Floe wrote (`floe bench parquet --output F`), read with pyarrow and turned into a
polars DataFrame (pl.from_arrow) before any timing, so both writers encode exactly the same values. Prints one
JSON line with the keys of pyarrow_parquet.py, plus `threads` (polars' thread pool) and, when the output is not a
faithful copy of the input, `note`.

Settings: polars' native (Rust) writer, `use_pyarrow=False`; `compression` = --codec and `compression_level` =
--level (zstd and gzip only; snappy and none take no level); `statistics=True` (polars' default set: min, max,
null count); default row group size (512^2 rows) and data page size (1 MiB); polars' default thread pool (its
size is printed as `threads`; polars may encode columns in parallel, pyarrow's write_table by default
does not).

Nested columns (lists, structs, maps such as cloudevents.extensions) go through pl.from_arrow unchanged: polars
has List, Struct and Map types and writes them as the Parquet LIST, group and MAP. What polars' DataFrame does not
carry is the Arrow field metadata (Parquet field ids, which Floe writes) and non-nullability (Floe's required
columns): without help every column comes out OPTIONAL and without a field id. The peer passes them back through
`arrow_schema=` (the frame's own Arrow schema with the input's nullability and field metadata, recursively), so
the file has Floe's schema. If polars rejects that schema, the peer writes without it and says so in `note`.
Before timing, one untimed write is read back with pyarrow and compared with the input; any difference (a type
polars cannot write faithfully) is reported in `note`. With polars 2.1.0 there is none for Floe's column kinds
(string, timestamptz, int32, map<string, string>), nor for lists, structs and lists of structs: all come back
equal, with their field ids and REQUIRED flags.
"""
import json
import os
import tempfile
import time

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from parquet_check import differences, peer_arguments


def merged_field(frame_field: pa.Field, input_field: pa.Field) -> pa.Field:
    """The frame's field (polars' own Arrow types: large_string, large_list, ...) with the input's nullability and
    metadata (PARQUET:field_id), down through structs, lists and maps."""
    kind, source = frame_field.type, input_field.type
    if pa.types.is_struct(kind) and pa.types.is_struct(source) and kind.num_fields == source.num_fields:
        kind = pa.struct([merged_field(kind.field(i), source.field(i)) for i in range(kind.num_fields)])
    elif pa.types.is_map(kind) and pa.types.is_map(source):
        kind = pa.map_(merged_field(kind.key_field, source.key_field), merged_field(kind.item_field, source.item_field))
    elif (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and \
            (pa.types.is_list(source) or pa.types.is_large_list(source)):
        element = merged_field(kind.value_field, source.value_field)
        kind = pa.large_list(element) if pa.types.is_large_list(kind) else pa.list_(element)
    return pa.field(frame_field.name, kind, nullable=input_field.nullable, metadata=input_field.metadata)


a = peer_arguments()
table = pq.read_table(a.input)
frame = pl.from_arrow(table)
codec = {"none": "uncompressed", "zstd": "zstd", "snappy": "snappy", "gzip": "gzip"}[a.codec]
options = {"compression": codec, "compression_level": a.level if codec in ("zstd", "gzip") else None,
           "statistics": True}
notes = []
schema = pa.schema([merged_field(f, s) for f, s in zip(frame.to_arrow().schema, table.schema)])
best = float("inf")
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "peer.parquet")
    try:  # untimed: does polars take the input's schema back, and is the file a faithful copy?
        frame.write_parquet(path, arrow_schema=schema, **options)
        options["arrow_schema"] = schema
    except Exception as error:  # polars' arrow_schema is marked unstable
        notes.append(f"polars rejected the input's schema, written with its own: {error}".splitlines()[0])
        frame.write_parquet(path, **options)
    notes += differences(path, table)
    for _ in range(max(1, a.repeat)):
        start = time.perf_counter()
        frame.write_parquet(path, **options)
        best = min(best, time.perf_counter() - start)
    size = os.path.getsize(path)
result = {"peer": "polars", "rows": frame.height, "bytes": size, "seconds": best,
          "rows_per_s": int(frame.height / best), "codec": a.codec, "level": a.level,
          "threads": pl.thread_pool_size(), "version": pl.__version__}
if notes:
    result["note"] = "; ".join(notes)
print(json.dumps(result))

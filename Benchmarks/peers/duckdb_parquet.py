#!/usr/bin/env python3
"""Peer for `floe bench parquet`: DuckDB's `COPY ... TO (FORMAT parquet)` on the same rows, best of N.

The rows are those of the file Floe wrote (`floe bench parquet --output F`), read with pyarrow, registered in an
in-memory DuckDB and materialized into a DuckDB table with CREATE TABLE AS (untimed; the Arrow registration is
dropped afterwards), so the timed statement reads DuckDB's own storage, not a lazy view of the Arrow table or of
the file. Timed: `COPY (SELECT * FROM t) TO 'path' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL n)`;
snappy is `COMPRESSION snappy` with no level (DuckDB's COMPRESSION_LEVEL is for zstd only, so gzip gets none
either; none is `COMPRESSION uncompressed`). Prints one JSON line with the keys of pyarrow_parquet.py, plus
`threads` and, when the output is not a faithful copy of the input, `note`.

Settings: DuckDB's defaults otherwise: thread count as DuckDB sets it (one per core; not changed here, printed
as `threads`), preserve_insertion_order on, row group size 122,880 rows, column statistics as DuckDB writes
them by default (min, max, null count). Parquet field ids, which Floe writes, are passed with FIELD_IDS (nested
ones too), so the schema matches Floe's except that DuckDB 1.5 writes every column OPTIONAL, Floe's required ones
included (a NOT NULL constraint does not change that); the untimed read-back check below reports that in
`note`. Nested columns (lists, structs, maps such as cloudevents.extensions) are DuckDB LIST, STRUCT and MAP and
are written as such, values and field ids intact.
"""
import json
import os
import tempfile
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from parquet_check import FIELD_ID, differences, peer_arguments


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def field_id_entry(field: pa.Field, name: str):
    """The FIELD_IDS value of one column or child: its id, or {__duckdb_field_id: id, child: ...} when children
    have ids; None when neither it nor its children have one. DuckDB names the children of a map key and value,
    the element of a list element, those of a struct by their names."""
    kind = field.type
    if pa.types.is_struct(kind):
        named = [(kind.field(i).name, kind.field(i)) for i in range(kind.num_fields)]
    elif pa.types.is_map(kind):
        named = [("key", kind.key_field), ("value", kind.item_field)]
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        named = [("element", kind.value_field)]
    else:
        named = []
    entries = [f"{quoted(child)}: {entry}" for child, f in named
               if (entry := field_id_entry(f, child)) is not None]
    own = int(field.metadata[FIELD_ID]) if field.metadata and FIELD_ID in field.metadata else None
    if not entries:
        return own
    if own is not None:
        entries.insert(0, f"__duckdb_field_id: {own}")
    return "{" + ", ".join(entries) + "}"


a = peer_arguments()
table = pq.read_table(a.input)
codec = {"none": "uncompressed", "zstd": "zstd", "snappy": "snappy", "gzip": "gzip"}[a.codec]
options = ["FORMAT parquet", f"COMPRESSION {codec}"]
if codec == "zstd" and a.level is not None:
    options.append(f"COMPRESSION_LEVEL {int(a.level)}")
ids = [f"{quoted(f.name)}: {entry}" for f in table.schema if (entry := field_id_entry(f, f.name)) is not None]
if ids:
    options.append("FIELD_IDS {" + ", ".join(ids) + "}")

connection = duckdb.connect()  # in memory, default settings
threads = connection.execute("SELECT current_setting('threads')").fetchone()[0]
connection.register("input_rows", table)
connection.execute("CREATE TABLE t AS SELECT * FROM input_rows")
connection.unregister("input_rows")
best = float("inf")
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "peer.parquet")
    copy = f"COPY (SELECT * FROM t) TO '{path}' ({', '.join(options)})"
    connection.execute(copy)  # untimed: is the file a faithful copy?
    notes = differences(path, table)
    for _ in range(max(1, a.repeat)):
        start = time.perf_counter()
        connection.execute(copy)
        best = min(best, time.perf_counter() - start)
    size = os.path.getsize(path)
result = {"peer": "duckdb", "rows": table.num_rows, "bytes": size, "seconds": best,
          "rows_per_s": int(table.num_rows / best), "codec": a.codec, "level": a.level,
          "threads": int(threads), "version": duckdb.__version__}
if notes:
    result["note"] = "; ".join(notes)
print(json.dumps(result))

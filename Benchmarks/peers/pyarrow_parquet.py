#!/usr/bin/env python3
"""Peer for `floe bench parquet`: pyarrow's pq.write_table on the same rows, best of N.

The rows are those of the file Floe wrote (`floe bench parquet --output F`), read back into
memory first, so both writers encode exactly the same values. Prints one JSON line.
"""
import json
import os
import tempfile
import time

import pyarrow.parquet as pq

from parquet_check import peer_arguments

a = peer_arguments()
table = pq.read_table(a.input)
codec = {"none": "none", "zstd": "zstd", "snappy": "snappy", "gzip": "gzip"}[a.codec]
best = float("inf")
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "peer.parquet")
    for _ in range(a.repeat):
        start = time.perf_counter()
        pq.write_table(table, path, compression=codec,
                       compression_level=a.level if codec in ("zstd", "gzip") else None)
        best = min(best, time.perf_counter() - start)
    size = os.path.getsize(path)
print(json.dumps({"peer": "pyarrow", "rows": table.num_rows, "bytes": size, "seconds": best,
                  "rows_per_s": int(table.num_rows / best), "codec": a.codec, "level": a.level}))

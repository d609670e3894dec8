#!/usr/bin/env python3
"""Real-peer checks for Floe's Iceberg output (embedded SQL catalog, manifests, manifest lists).

Usage, with FIXTURE the directory that FLOE_ICEBERG_FIXTURE_DIR names:
  check_catalog.py make-data FIXTURE [--scheme file|path] [--batch N]
      writes small Parquet files (with PARQUET:field_id) under the warehouse and records them,
      with their Iceberg statistics, as batch N in FIXTURE/batches.json for the Swift test to append
  check_catalog.py pyiceberg-append FIXTURE [--repeat N]
      appends 5 rows N times through pyiceberg's SqlCatalog (a concurrent writer on the same catalog.db),
      retrying its own commit conflicts
  check_catalog.py check FIXTURE
      opens the catalog with pyiceberg, scans, inspects snapshots/files/manifests, validates the Avro
      schemas and field ids with fastavro, and reads the table with DuckDB's iceberg_scan
"""
import datetime as dt
import glob
import json
import os
import struct
import sys
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

NAMESPACE = "analytics"
TABLE = "events"
STRING_COLUMNS = ["message_id", "type", "user_id", "anonymous_id", "event", "name", "category", "group_id",
                  "previous_id", "properties", "traits", "context", "integrations"]
TS_COLUMNS = ["timestamp", "original_timestamp", "sent_at", "received_at"]
REQUIRED = {"message_id", "type", "timestamp", "received_at"}
UTC = dt.timezone.utc


def arrow_schema():
    fields = []
    for index, name in enumerate(STRING_COLUMNS + TS_COLUMNS, start=1):
        typ = pa.string() if name in STRING_COLUMNS else pa.timestamp("us", tz="UTC")
        fields.append(pa.field(name, typ, nullable=name not in REQUIRED,
                               metadata={b"PARQUET:field_id": str(index).encode()}))
    return pa.schema(fields)


def field_ids():
    return {name: index for index, name in enumerate(STRING_COLUMNS + TS_COLUMNS, start=1)}


def make_rows(event_type, hour, count, tag):
    base = dt.datetime(2024, 5, 1, hour, 0, 0, tzinfo=UTC)
    rows = []
    for i in range(count):
        ts = base + dt.timedelta(minutes=i)
        rows.append({
            "message_id": f"{tag}-{event_type}-{hour}-{i}", "type": event_type,
            "user_id": f"user-{i}" if i % 2 == 0 else None, "anonymous_id": f"anon-{i}",
            "event": "Signed Up" if event_type == "track" else None, "name": None, "category": None,
            "group_id": None, "previous_id": None, "properties": json.dumps({"i": i}), "traits": None,
            "context": json.dumps({"ip": "127.0.0.1"}), "integrations": None,
            "timestamp": ts, "original_timestamp": ts, "sent_at": None, "received_at": ts + dt.timedelta(seconds=1),
        })
    return rows


def encode_bound(name, value):
    if name in STRING_COLUMNS:
        return value.encode("utf-8").hex()
    micros = int(value.timestamp() * 1_000_000) if isinstance(value, dt.datetime) else int(value)
    return struct.pack("<q", micros).hex()


def iceberg_stats(path):
    meta = pq.ParquetFile(path).metadata
    ids = field_ids()
    stats = {"columnSizes": {}, "valueCounts": {}, "nullValueCounts": {}, "lowerBounds": {}, "upperBounds": {}}
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for c in range(group.num_columns):
            col = group.column(c)
            fid = str(ids[col.path_in_schema])
            stats["columnSizes"][fid] = stats["columnSizes"].get(fid, 0) + col.total_compressed_size
            stats["valueCounts"][fid] = stats["valueCounts"].get(fid, 0) + col.num_values
            if col.statistics is not None:
                stats["nullValueCounts"][fid] = stats["nullValueCounts"].get(fid, 0) + col.statistics.null_count
                if col.statistics.has_min_max:
                    stats["lowerBounds"][fid] = encode_bound(col.path_in_schema, col.statistics.min)
                    stats["upperBounds"][fid] = encode_bound(col.path_in_schema, col.statistics.max)
    return stats


def location(fixture, scheme):
    path = os.path.join(os.path.abspath(fixture), "warehouse")
    return "file://" + path if scheme == "file" else path


def make_data(fixture, scheme, batch):
    os.makedirs(fixture, exist_ok=True)
    batches_path = os.path.join(fixture, "batches.json")
    doc = {"warehouse": location(fixture, scheme), "batches": []}
    if os.path.exists(batches_path):
        with open(batches_path) as fh:
            doc = json.load(fh)
    warehouse = doc["warehouse"]
    table_location = f"{warehouse}/{NAMESPACE}/{TABLE}"
    commit_id = str(uuid.uuid4())
    files = []
    for n, (event_type, hour, count) in enumerate([("track", 10 + batch, 3), ("page", 10 + batch, 2), ("track", 11 + batch, 4)]):
        rows = make_rows(event_type, hour, count, f"b{batch}")
        hour_value = int(rows[0]["timestamp"].timestamp()) // 3600
        rel = f"data/type={event_type}/timestamp_hour={hour_value}/{commit_id}-{n}.parquet"
        local = os.path.join(os.path.abspath(fixture), "warehouse", NAMESPACE, TABLE, rel)
        os.makedirs(os.path.dirname(local), exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), local)
        files.append({"filePath": f"{table_location}/{rel}", "partition": [event_type, hour_value],
                      "recordCount": count, "fileSizeInBytes": os.path.getsize(local), **iceberg_stats(local)})
    doc["batches"].append({"commitId": commit_id, "files": files})
    with open(batches_path, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"batch {batch}: {sum(f['recordCount'] for f in files)} rows in {len(files)} files, commit {commit_id}")


def catalog(fixture):
    from pyiceberg.catalog.sql import SqlCatalog
    with open(os.path.join(fixture, "batches.json")) as fh:
        warehouse = json.load(fh)["warehouse"]
    return SqlCatalog("floe", uri="sqlite:///" + os.path.join(os.path.abspath(fixture), "catalog.db"),
                      warehouse=warehouse)


def pyiceberg_append(fixture, repeat):
    from pyiceberg.exceptions import CommitFailedException
    cat = catalog(fixture)
    conflicts = 0
    for n in range(repeat):
        rows = make_rows("identify", 15, 5, f"pyiceberg-{uuid.uuid4()}")
        while True:
            table = cat.load_table(f"{NAMESPACE}.{TABLE}")
            try:
                table.append(pa.Table.from_pylist(rows, schema=table.schema().as_arrow()))
                break
            except CommitFailedException:
                conflicts += 1
    print(f"pyiceberg appended {repeat} x 5 rows ({conflicts} conflicts retried)")


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def check_avro(path, kind):
    import fastavro
    with open(path.removeprefix("file://"), "rb") as fh:
        reader = fastavro.reader(fh)
        schema = json.loads(reader.metadata["avro.schema"])
        records = list(reader)
        meta = reader.metadata
    ids = {}

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "record":
                for field in node["fields"]:
                    expect("field-id" in field, f"{kind}: field {field['name']} has no field-id")
                    ids[field["name"]] = field["field-id"]
                    walk(field["type"])
            elif node.get("type") == "array":
                walk(node["items"])
        elif isinstance(node, list):
            for branch in node:
                walk(branch)
    walk(schema)
    return schema, ids, records, meta


MANIFEST_IDS = {"status": 0, "snapshot_id": 1, "sequence_number": 3, "file_sequence_number": 4, "data_file": 2,
                "content": 134, "file_path": 100, "file_format": 101, "partition": 102, "record_count": 103,
                "file_size_in_bytes": 104, "column_sizes": 108, "value_counts": 109, "null_value_counts": 110,
                "nan_value_counts": 137, "lower_bounds": 125, "upper_bounds": 128, "key_metadata": 131,
                "split_offsets": 132, "equality_ids": 135, "sort_order_id": 140, "type": 1000, "timestamp_hour": 1001}
LIST_IDS = {"manifest_path": 500, "manifest_length": 501, "partition_spec_id": 502, "content": 517,
            "sequence_number": 515, "min_sequence_number": 516, "added_snapshot_id": 503, "added_files_count": 504,
            "existing_files_count": 505, "deleted_files_count": 506, "added_rows_count": 512,
            "existing_rows_count": 513, "deleted_rows_count": 514, "partitions": 507, "contains_null": 509,
            "contains_nan": 518, "lower_bound": 510, "upper_bound": 511, "key_metadata": 519}


def check(fixture):
    with open(os.path.join(fixture, "batches.json")) as fh:
        doc = json.load(fh)
    cat = catalog(fixture)
    expect((NAMESPACE,) in cat.list_namespaces(), f"namespaces: {cat.list_namespaces()}")
    expect((NAMESPACE, TABLE) in cat.list_tables(NAMESPACE), f"tables: {cat.list_tables(NAMESPACE)}")
    table = cat.load_table(f"{NAMESPACE}.{TABLE}")
    md = table.metadata
    expect(md.format_version == 2, "format version")
    expect([f.field_id for f in md.spec().fields] == [1000, 1001], "partition field ids")

    floe_batches = {b["commitId"]: b for b in doc["batches"]}
    snapshots = table.inspect.snapshots().to_pylist()
    floe_snapshots = [s for s in snapshots if s["summary"] and dict(s["summary"]).get("floe.commit-id")]
    committed = {dict(s["summary"])["floe.commit-id"] for s in floe_snapshots}
    expect(committed == set(floe_batches), f"floe commits {committed} != batches {set(floe_batches)}")
    for s in floe_snapshots:
        summary = dict(s["summary"])
        batch = floe_batches[summary["floe.commit-id"]]
        expect(s["operation"] == "append", "operation")
        expect(int(summary["added-records"]) == sum(f["recordCount"] for f in batch["files"]), "added-records")
        expect(int(summary["added-data-files"]) == len(batch["files"]), "added-data-files")
    pyiceberg_rows = 5 * sum(1 for s in snapshots if not dict(s["summary"] or {}).get("floe.commit-id"))
    expected_rows = sum(f["recordCount"] for b in doc["batches"] for f in b["files"]) + pyiceberg_rows
    current = md.current_snapshot()
    expect(int(current.summary["total-records"]) == expected_rows,
           f"total-records {current.summary['total-records']} != {expected_rows}")
    seqs = [s.sequence_number for s in md.snapshots]
    expect(seqs == list(range(1, len(seqs) + 1)), f"sequence numbers {seqs}")

    arrow = table.scan().to_arrow()
    expect(arrow.num_rows == expected_rows, f"pyiceberg scan rows {arrow.num_rows} != {expected_rows}")
    expected_ids = set()
    for b in doc["batches"]:
        for f in b["files"]:
            local = f["filePath"].removeprefix("file://")
            expected_ids |= set(pq.read_table(local).column("message_id").to_pylist())
    got_ids = set(arrow.column("message_id").to_pylist())
    expect(expected_ids <= got_ids, "pyiceberg scan lacks rows Floe committed")
    filtered = table.scan(row_filter="type == 'page'").to_arrow()
    expect(filtered.num_rows == sum(f["recordCount"] for b in doc["batches"] for f in b["files"] if f["partition"][0] == "page"),
           "partition-pruned scan")

    files = table.inspect.files().to_pylist()
    floe_paths = {f["filePath"] for b in doc["batches"] for f in b["files"]}
    by_path = {f["file_path"]: f for f in files}
    for b in doc["batches"]:
        for f in b["files"]:
            row = by_path[f["filePath"]]
            expect(row["record_count"] == f["recordCount"], "inspect.files record_count")
            expect(row["file_size_in_bytes"] == f["fileSizeInBytes"], "file size")
            expect({str(k): v for k, v in dict(row["null_value_counts"]).items()} == {k: v for k, v in f["nullValueCounts"].items()},
                   "null_value_counts")
            expect(dict(row["lower_bounds"])[1] == bytes.fromhex(f["lowerBounds"]["1"]), "lower bound of message_id")
    manifests = table.inspect.manifests().to_pylist()
    expect(sum(m["added_data_files_count"] + m["existing_data_files_count"] for m in manifests) >= len(floe_paths),
           "inspect.manifests")

    merged_manifests = []
    for s in md.snapshots:
        if not s.summary.additional_properties.get("floe.commit-id"):
            continue
        schema, ids, records, meta = check_avro(s.manifest_list, "manifest list")
        for name, fid in LIST_IDS.items():
            expect(ids.get(name) == fid, f"manifest list field {name}: {ids.get(name)} != {fid}")
        expect(meta["format-version"] == "2" and meta["snapshot-id"] == str(s.snapshot_id), "manifest list metadata")
        expect(meta["sequence-number"] == str(s.sequence_number), "manifest list sequence-number")
        expect(meta["parent-snapshot-id"] == (str(s.parent_snapshot_id) if s.parent_snapshot_id else "null"), "parent")
        for m in records:
            if m["added_snapshot_id"] != s.snapshot_id:
                continue
            mschema, mids, entries, mmeta = check_avro(m["manifest_path"], "manifest")
            for name, fid in MANIFEST_IDS.items():
                expect(mids.get(name) == fid, f"manifest field {name}: {mids.get(name)} != {fid}")
            for key in ("schema", "schema-id", "partition-spec", "partition-spec-id", "format-version", "content"):
                expect(key in mmeta, f"manifest metadata {key}")
            expect(mmeta["format-version"] == "2" and mmeta["content"] == "data", "manifest metadata values")
            expect(json.loads(mmeta["partition-spec"])[1]["field-id"] == 1001, "partition-spec metadata")
            if m["existing_files_count"] > 0:
                merged_manifests.append(m["manifest_path"])
                for e in entries:
                    expect(e["status"] == 0 and e["snapshot_id"] is not None, "merged entry status/snapshot")
                    expect(e["sequence_number"] is not None and e["file_sequence_number"] is not None,
                           "merged entries carry explicit sequence numbers")
                expect(m["min_sequence_number"] == min(e["sequence_number"] for e in entries), "min_sequence_number")
            else:
                for e in entries:
                    expect(e["status"] == 1 and e["snapshot_id"] == s.snapshot_id, "entry status/snapshot")
                    expect(e["sequence_number"] is None and e["file_sequence_number"] is None, "inherited sequence numbers")
                expect(m["min_sequence_number"] == s.sequence_number, "manifest min sequence number")
            expect(m["sequence_number"] == s.sequence_number, "manifest sequence number")
            types = sorted({e["data_file"]["partition"]["type"] for e in entries})
            expect(m["partitions"][0]["lower_bound"] == types[0].encode() and m["partitions"][0]["upper_bound"] == types[-1].encode(),
                   "partition summary bounds")

    import duckdb
    site = os.path.dirname(os.path.dirname(duckdb.__file__))
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    for ext in ("avro", "iceberg"):
        path = glob.glob(os.path.join(site, f"duckdb_extension_{ext}", "extensions", "v1.5.5", "*.duckdb_extension"))[0]
        con.execute(f"LOAD '{path}'")
    metadata_file = table.metadata_location.removeprefix("file://") if "--duckdb-path" in sys.argv else table.metadata_location
    count = con.execute(f"SELECT count(*) FROM iceberg_scan('{metadata_file}')").fetchone()[0]
    expect(count == expected_rows, f"duckdb iceberg_scan rows {count} != {expected_rows}")
    duck_ids = {r[0] for r in con.execute(f"SELECT message_id FROM iceberg_scan('{metadata_file}')").fetchall()}
    expect(duck_ids == got_ids, "duckdb and pyiceberg see different rows")
    snaps = con.execute(f"SELECT count(*) FROM iceberg_snapshots('{metadata_file}')").fetchone()[0]
    expect(snaps == len(md.snapshots), f"duckdb snapshots {snaps}")
    print(f"ok: {expected_rows} rows, {len(md.snapshots)} snapshots ({len(floe_snapshots)} by Floe), "
          f"{len(merged_manifests)} merged manifests, "
          f"pyiceberg scan + inspect, fastavro schemas, duckdb iceberg_scan all agree")


if __name__ == "__main__":
    command, fixture = sys.argv[1], sys.argv[2]
    if command == "make-data":
        scheme = sys.argv[sys.argv.index("--scheme") + 1] if "--scheme" in sys.argv else "file"
        batch = int(sys.argv[sys.argv.index("--batch") + 1]) if "--batch" in sys.argv else 1
        make_data(fixture, scheme, batch)
    elif command == "pyiceberg-append":
        pyiceberg_append(fixture, int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1)
    elif command == "check":
        check(fixture)
    else:
        sys.exit(__doc__)

"""The Iceberg metadata Floe writes, checked with fastavro and pyiceberg against the v2 spec.

Field ids of the manifest list (manifest_file, 500–519) and of manifests (manifest_entry 0–4, data_file
100–140, the partition struct 1000+), the Avro file metadata the spec requires, sequence numbers that
grow by one per snapshot with a parent chain, and summary totals consistent with the data files.
"""
from __future__ import annotations

import json

import fastavro

from corpus import generate
from lake import load_table, local_path

MANIFEST_FILE_IDS = {"manifest_path": 500, "manifest_length": 501, "partition_spec_id": 502, "content": 517,
                     "sequence_number": 515, "min_sequence_number": 516, "added_snapshot_id": 503,
                     "added_files_count": 504, "existing_files_count": 505, "deleted_files_count": 506,
                     "added_rows_count": 512, "existing_rows_count": 513, "deleted_rows_count": 514, "partitions": 507}
ENTRY_IDS = {"status": 0, "snapshot_id": 1, "sequence_number": 3, "file_sequence_number": 4, "data_file": 2}
DATA_FILE_IDS = {"content": 134, "file_path": 100, "file_format": 101, "partition": 102, "record_count": 103,
                 "file_size_in_bytes": 104, "column_sizes": 108, "value_counts": 109, "null_value_counts": 110,
                 "lower_bounds": 125, "upper_bounds": 128}


def field_ids(schema: dict) -> dict[str, int]:
    return {f["name"]: f.get("field-id") for f in schema["fields"]}


def record_schema(field_type):
    """The record inside an Avro type that may be a union with null."""
    if isinstance(field_type, list):
        field_type = next(t for t in field_type if t != "null")
    return field_type


def read_avro(location: str):
    with open(local_path(location), "rb") as handle:
        reader = fastavro.reader(handle)
        return reader.writer_schema, dict(reader.metadata), list(reader)


def test_manifests_and_snapshots_follow_the_v2_spec(floe):
    server = floe()
    events = generate(1200, seed=71)
    for start in range(0, 1200, 400):
        server.send_batches(events[start:start + 400], size=100)
        server.flush()
    table = load_table(server.data_dir, "events")
    snapshots = sorted(table.metadata.snapshots, key=lambda s: s.sequence_number)
    assert [s.sequence_number for s in snapshots] == [1, 2, 3]
    assert snapshots[0].parent_snapshot_id is None
    assert [s.parent_snapshot_id for s in snapshots[1:]] == [s.snapshot_id for s in snapshots[:-1]]
    assert table.metadata.last_sequence_number == 3

    current = snapshots[-1]
    schema, metadata, manifests = read_avro(current.manifest_list)
    ids = field_ids(schema)
    for name, expected in MANIFEST_FILE_IDS.items():
        assert ids.get(name) == expected, f"manifest_file.{name}: {ids.get(name)}"
    assert metadata["format-version"] == b"2" or metadata["format-version"] == "2"
    assert int(metadata["snapshot-id"]) == current.snapshot_id
    assert int(metadata["sequence-number"]) == 3
    assert len(manifests) == 3 and sum(m["added_rows_count"] for m in manifests) == 1200
    assert {m["sequence_number"] for m in manifests} == {1, 2, 3}

    files = 0
    for manifest in manifests:
        schema, metadata, entries = read_avro(manifest["manifest_path"])
        entry_ids = field_ids(schema)
        for name, expected in ENTRY_IDS.items():
            assert entry_ids.get(name) == expected, f"manifest_entry.{name}: {entry_ids.get(name)}"
        data_file = record_schema(next(f for f in schema["fields"] if f["name"] == "data_file")["type"])
        data_ids = field_ids(data_file)
        for name, expected in DATA_FILE_IDS.items():
            assert data_ids.get(name) == expected, f"data_file.{name}: {data_ids.get(name)}"
        partition = record_schema(next(f for f in data_file["fields"] if f["name"] == "partition")["type"])
        assert field_ids(partition) == {"type": 1000, "timestamp_hour": 1001}
        for key in ("schema", "partition-spec", "partition-spec-id", "format-version", "content"):
            assert key in metadata, f"manifest metadata lacks {key}"
        assert json.loads(metadata["partition-spec"])[1]["transform"] == "hour"
        for entry in entries:
            assert entry["status"] == 1 and entry["sequence_number"] is None  # ADDED; inherited
            assert entry["data_file"]["record_count"] > 0
            files += 1

    summary = current.summary
    assert int(summary["total-records"]) == 1200
    assert int(summary["total-data-files"]) == files == table.inspect.files().num_rows
    assert summary["floe.commit-id"] and summary.operation.value == "append"

"""Compaction inside `floe serve`: the small files of closed partitions become one sorted file per
partition in a `replace` snapshot, and every reader reads the same rows before and after.

Partitions close FLOE_PARTITION_GRACE_MS after their hour (0 here; the corpus lies in past hours), and
maintenance runs every FLOE_MAINTENANCE_INTERVAL_MS. Readers: pyiceberg and DuckDB through the Iceberg
metadata, pyarrow and Spark on the live data files.
"""
from __future__ import annotations

import random
import re
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from corpus import batch_bodies, dumps, generate
from lake import data_files, duckdb_rows, load_table, local_path, normal_rows, pyiceberg_rows

CLOUDEVENTS_BATCH = "application/cloudevents-batch+json"
KEYS = {"events": ("message_id",), "cloudevents": ("source", "id")}


def _send(server, segment: list[dict], cloudevents: list[dict], flush_every: int = 2) -> None:
    for index, (_, body) in enumerate(batch_bodies(segment, 100)):
        assert server.post("/v1/batch", body).status_code == 200
        if index % flush_every == 0:
            server.flush()
    for start in range(0, len(cloudevents), 50):
        response = server.post("/events/batch", dumps(cloudevents[start:start + 50]), content_type=CLOUDEVENTS_BATCH)
        assert response.status_code == 200, response.text
        server.flush()
    server.flush()


def _past(events: list[dict]) -> list[dict]:
    """Without sentAt, so the events keep their times in past hours (no clock-skew correction)."""
    for event in events:
        event.pop("sentAt", None)
    return events


def _canonical(rows: list[dict], name: str) -> list[tuple]:
    """Rows as sorted tuples of (column, value) pairs, ordered by the table's key."""
    key = KEYS[name]
    return sorted((tuple(row[k] for k in key), tuple(sorted(row.items()))) for row in rows)


def _difference(got: list[tuple], expected: list[tuple]) -> str:
    """The first row that differs, column by column, for the failure message."""
    if len(got) != len(expected):
        return f"{len(got)} rows, expected {len(expected)}"
    for (key, row), (_, want) in zip(got, expected):
        if row != want:
            a, b = dict(row), dict(want)
            return f"row {key}: " + ", ".join(f"{c}: {a.get(c)!r} != {b.get(c)!r}" for c in sorted(set(a) | set(b))
                                               if a.get(c) != b.get(c))
    return "same"


def _files_per_partition(table) -> Counter:
    return Counter(str(sorted(f.partition.items())) for f in data_files(table) if f.content == 0)


def _spark_rows(spark, paths: list[str]) -> list[dict]:
    frame = spark.read.parquet(*paths)
    # Timestamps as epoch microseconds, as the other readers' rows are normalised.
    columns = [f"unix_micros(`{f.name}`) AS `{f.name}`" if f.dataType.typeName() == "timestamp" else f"`{f.name}`"
               for f in frame.schema.fields]
    return [row.asDict() for row in frame.selectExpr(*columns).collect()]


def _read_all(data_dir, duck, spark) -> dict:
    readings = {}
    for name in KEYS:
        table = load_table(data_dir, name)
        paths = [f.path for f in data_files(table) if f.content == 0]
        readings[name] = {
            "pyiceberg": _canonical(pyiceberg_rows(table), name),
            "duckdb": _canonical(duckdb_rows(duck, table), name),
            "pyarrow": _canonical([row for path in paths for row in normal_rows(pq.read_table(path))], name),
            "spark": _canonical(_spark_rows(spark, paths), name),
        }
    return readings


def _wait_compacted(data_dir, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        counts = {name: _files_per_partition(load_table(data_dir, name)) for name in KEYS}
        if all(max(c.values()) == 1 for c in counts.values()):
            return
        assert time.monotonic() < deadline, f"partitions still hold several files: {counts}"
        time.sleep(0.5)


def test_compaction_keeps_every_value_for_every_reader(floe, duck, spark):
    server = floe(env={"FLOE_COMPACT": "false", "FLOE_MAINTENANCE_INTERVAL_MS": "0", "FLOE_PARTITION_GRACE_MS": "0"})
    segment = _past(generate(2400, seed=17, hours=3))
    cloudevents = generate(400, seed=18, fmt="cloudevents", hours=2)
    _send(server, segment, cloudevents)
    before_files = {name: _files_per_partition(load_table(server.data_dir, name)) for name in KEYS}
    assert max(before_files["events"].values()) >= 5, before_files
    before = _read_all(server.data_dir, duck, spark)
    for name, readings in before.items():
        assert len(readings["pyiceberg"]) == (2400 if name == "events" else 400)
        for reader, rows in readings.items():
            assert rows == readings["pyiceberg"], \
                f"{reader} differs from pyiceberg on {name} before compaction: {_difference(rows, readings['pyiceberg'])}"
    server.stop()

    server.start(env={"FLOE_COMPACT": "true", "FLOE_MAINTENANCE_INTERVAL_MS": "300"})
    _wait_compacted(server.data_dir)
    after = _read_all(server.data_dir, duck, spark)
    for name in KEYS:
        for reader, rows in after[name].items():
            assert rows == before[name]["pyiceberg"], \
                f"{reader} reads other rows of {name} after compaction: {_difference(rows, before[name]['pyiceberg'])}"
        table = load_table(server.data_dir, name)
        operations = [s.summary.operation.value for s in table.snapshots()]
        assert "replace" in operations, operations
        assert table.current_snapshot().summary["total-records"] == str(len(before[name]["pyiceberg"]))
        # Each file a compaction wrote is sorted by the event time.
        time_column = "timestamp" if name == "events" else "time"
        replaces = {s.snapshot_id for s in table.snapshots() if s.summary.operation.value == "replace"}
        compacted = [local_path(e["data_file"]["file_path"]) for e in table.inspect.entries().to_pylist()
                     if e["snapshot_id"] in replaces and e["status"] == 1]
        assert compacted
        for path in compacted:
            times = pq.read_table(path, columns=[time_column]).column(0).to_pylist()
            assert times == sorted(times, key=lambda t: (t is not None, t))
    metrics = server.get("/metrics").text
    compacted = re.search(r'^floe_files_compacted_total\{table="events"\} (\S+)', metrics, re.M)
    assert compacted and float(compacted.group(1)) >= sum(before_files["events"].values()) - len(before_files["events"])

    # Late events into the compacted partitions are compacted again, with the rows already there.
    late = _past(generate(300, seed=19, hours=3))
    _send(server, late, [], flush_every=1)
    _wait_compacted(server.data_dir)
    rows = pyiceberg_rows(load_table(server.data_dir, "events"))
    counts = Counter(row["message_id"] for row in rows)
    assert set(counts) == {m["messageId"] for m in segment + late} and max(counts.values()) == 1
    assert _canonical(duckdb_rows(duck, load_table(server.data_dir, "events")), "events") == _canonical(rows, "events")


def test_open_partitions_and_compaction_off_are_left_alone(floe):
    """The current hour (within its grace) is not compacted, nor anything with FLOE_COMPACT=false."""
    server = floe(env={"FLOE_MAINTENANCE_INTERVAL_MS": "200", "FLOE_PARTITION_GRACE_MS": "3600000"})
    now = [dict(m, timestamp=None) for m in generate(200, seed=21, hours=1)]
    for m in now:
        m.pop("timestamp", None)
        m.pop("sentAt", None)
        m.pop("originalTimestamp", None)
    _send(server, now, [], flush_every=1)
    time.sleep(1.5)
    assert max(_files_per_partition(load_table(server.data_dir, "events")).values()) >= 2
    server.stop()
    server.start(env={"FLOE_COMPACT": "false", "FLOE_PARTITION_GRACE_MS": "0"})
    time.sleep(1.5)
    table = load_table(server.data_dir, "events")
    assert "replace" not in [s.summary.operation.value for s in table.snapshots()]


def _unreferenced_data_files(data_dir, name: str) -> list[str]:
    """Parquet files under the table's data directory that its current snapshot does not reference."""
    table = load_table(data_dir, name)
    live = {f.path for f in data_files(table)}
    root = Path(local_path(table.metadata.location)) / "data"
    return sorted(str(p) for p in root.rglob("*.parquet") if str(p) not in live)


def test_sigkill_during_compaction_and_flush_loses_and_doubles_nothing(floe, floe_bin):
    """Compaction runs in small steps (64 KB files, 256 KB a run) while late events keep being flushed, and
    the server is killed at random moments; in the end every event is in the table once, the files the
    killed runs uploaded but never committed are deleted as orphans, and the replaced inputs by expiry."""
    rng = random.Random(23)
    server = floe(env={"FLOE_COMPACT": "false", "FLOE_MAINTENANCE_INTERVAL_MS": "0", "FLOE_PARTITION_GRACE_MS": "0"})
    sent = _past(generate(3000, seed=29, hours=2))
    _send(server, sent, [], flush_every=1)
    before = sum(_files_per_partition(load_table(server.data_dir, "events")).values())
    compacting = {"FLOE_COMPACT": "true", "FLOE_MAINTENANCE_INTERVAL_MS": "50", "FLOE_TARGET_FILE_SIZE_BYTES": "65536",
                  "FLOE_COMPACTION_MAX_BYTES": "262144", "FLOE_ORPHAN_AGE_MS": "86400000"}
    late_pool = _past(generate(1200, seed=31, hours=2))
    kills = 0
    for round_ in range(10):
        server.restart("kill", env=compacting)
        late, late_pool = late_pool[:100], late_pool[100:]
        assert server.post("/v1/batch", dumps({"batch": late})).status_code == 200
        sent += late
        # Flushes and compactions in flight when the kill comes.
        flusher = threading.Thread(target=lambda: _quietly(server.flush), daemon=True)
        flusher.start()
        time.sleep(rng.uniform(0.05, 0.8))
        kills += 1
    # At last expiry keeps one snapshot, so the inputs compaction replaced are deleted too (by expiry), and every
    # file the current snapshot does not reference should go: by `floe maintain` with no orphan age once serve has
    # stopped (serve's own orphan age is an hour at least, so that it never deletes the files of a commit in flight).
    server.restart("kill", env={**compacting, "FLOE_MAINTENANCE_INTERVAL_MS": "200",
                                "FLOE_MAX_SNAPSHOTS": "1", "FLOE_COMPACTION_MAX_BYTES": "1073741824"})
    server.flush()
    table = load_table(server.data_dir, "events")
    assert any(s.summary.operation.value == "replace" for s in table.snapshots()), "no compaction committed"
    # Compaction may take a few more runs (its outputs are small files again at this target size): judge only a
    # table that stopped changing.
    _settled_snapshot(server.data_dir, "events")
    assert server.stop() == 0
    maintained = subprocess.run([str(floe_bin), "maintain", "--data-dir", str(server.data_dir), "--orphans-older-than-hours",
                                 "0", "--expire-older-than-hours", "0", "--retain-last", "1"],
                                capture_output=True, text=True, timeout=300)
    assert maintained.returncode == 0, maintained.stderr[-3000:]
    assert "safe only while nothing else writes" in maintained.stderr
    assert _unreferenced_data_files(server.data_dir, "events") == [], "orphans left after orphan removal"
    table = load_table(server.data_dir, "events")
    counts = Counter(row["message_id"] for row in pyiceberg_rows(table))
    assert set(counts) == {m["messageId"] for m in sent}, "events lost"
    assert max(counts.values()) == 1, f"events doubled: {[k for k, v in counts.items() if v > 1][:5]}"
    after = sum(_files_per_partition(table).values())
    assert after < before, (before, after)


def _settled_snapshot(data_dir, name: str, timeout: float = 60) -> None:
    """Waits until the table has kept the same current snapshot for three polls 0.5 s apart (several maintenance
    runs), or `timeout` runs out."""
    deadline = time.monotonic() + timeout
    last, calm = None, 0
    while calm < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        current = load_table(data_dir, name).current_snapshot().snapshot_id
        calm = calm + 1 if current == last else 0
        last = current


def _quietly(call) -> None:
    try:
        call()
    except Exception:  # the server is killed under the request: its answer is lost, nothing else
        pass


def test_two_instances_compact_through_a_rest_catalog_on_s3(floe, moto, tmp_path):
    """Two instances on one REST catalog and S3 bucket flush and compact the same tables at the same time:
    their appends rebase over each other's replace commits, a compaction that lost the race is refused, and
    every event is read once from tables with one file per partition."""
    from scale_out_support import catalog_on_s3
    rest, env = catalog_on_s3(moto, tmp_path / "rest")
    try:
        compacting = {**env, "FLOE_MAINTENANCE_INTERVAL_MS": "200", "FLOE_PARTITION_GRACE_MS": "0"}
        servers = [floe(env={**compacting, "FLOE_INSTANCE_ID": name}) for name in ("one", "two")]
        events = _past(generate(3000, seed=37, hours=2))
        for round_ in range(10):
            for index, server in enumerate(servers):
                start = (2 * round_ + index) * 150
                assert server.post("/v1/batch", dumps({"batch": events[start:start + 150]})).status_code == 200
                server.flush()
            time.sleep(0.2)
        deadline = time.monotonic() + 120
        while True:
            table = rest.catalog.load_table("analytics.events")
            files = Counter(str(sorted(f["partition"].items())) for f in table.inspect.files().to_pylist())
            if files and max(files.values()) == 1:
                break
            assert time.monotonic() < deadline, f"partitions still hold several files: {files}"
            time.sleep(0.5)
        assert any(s.summary.operation.value == "replace" for s in table.snapshots())
        assert all(f["file_path"].startswith("s3://") for f in table.inspect.files().to_pylist())
        counts = Counter(row["message_id"] for row in pyiceberg_rows(table))
        assert set(counts) == {m["messageId"] for m in events} and max(counts.values()) == 1
        instances = {s.summary.additional_properties.get("floe.instance-id") for s in table.snapshots()
                     if s.summary.operation.value == "replace"}
        assert instances <= {"one", "two"}, instances
    finally:
        rest.stop()


def test_a_partition_with_a_column_floe_does_not_know_is_not_compacted(floe):
    """Another engine adds a column to Floe's table and appends rows that carry it. Rewriting those files with
    Floe's own columns would drop the values, so compaction leaves that partition alone and compacts the rest."""
    from pyiceberg.types import StringType
    import pyarrow as pa

    server = floe(env={"FLOE_COMPACT": "0"})
    sent = _past(generate(400, seed=23, hours=2))
    _send(server, sent, [], flush_every=1)
    server.stop()
    table = load_table(server.data_dir, "events")
    with table.update_schema() as update:
        update.add_column("extra", StringType())
    table = load_table(server.data_dir, "events")
    # Several partitions (a type and hour each), each of several small files.
    assert len({(f["partition"]["type"], f["partition"]["timestamp_hour"]) for f in table.inspect.files().to_pylist()}) >= 2
    rows = table.scan(row_filter=f"message_id == '{sent[0]['messageId']}'").to_arrow()
    event_time = rows["timestamp"][0].as_py()
    for name, value in (("extra", "kept"), ("message_id", "extra-row")):
        index = rows.schema.get_field_index(name)
        rows = rows.set_column(index, rows.schema.field(index), pa.array([value], rows.schema.field(index).type))
    table.append(rows)

    server.start(env={"FLOE_COMPACT": "1", "FLOE_MAINTENANCE_INTERVAL_MS": "200", "FLOE_PARTITION_GRACE_MS": "0"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        operations = [s.summary.operation.value for s in load_table(server.data_dir, "events").snapshots()]
        if "replace" in operations:
            break
        time.sleep(0.3)
    time.sleep(1.0)
    server.stop()
    table = load_table(server.data_dir, "events")
    assert "replace" in [s.summary.operation.value for s in table.snapshots()], "nothing was compacted"
    extra = table.scan(row_filter="message_id == 'extra-row'").to_arrow()
    assert extra["extra"].to_pylist() == ["kept"] and extra["timestamp"][0].as_py() == event_time
    assert "not compacting files holding columns Floe does not know" in server.log_tail(10_000_000)
    assert len(pyiceberg_rows(table)) == 401

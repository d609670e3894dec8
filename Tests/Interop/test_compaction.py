"""Compaction inside `floe serve`: the small files of closed partitions become one sorted file per
partition in a `replace` snapshot, and every reader reads the same rows before and after.

Partitions close FLOE_PARTITION_GRACE_MS after their hour (0 here; the corpus lies in past hours), and
maintenance runs every FLOE_MAINTENANCE_INTERVAL_MS. Readers: pyiceberg and DuckDB through the Iceberg
metadata, pyarrow and Spark on the live data files.
"""
from __future__ import annotations

import re
import time
from collections import Counter, defaultdict

import pyarrow.parquet as pq
import pytest

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


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession
    session = (SparkSession.builder.master("local[1]").appName("floe-compaction")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "1g").getOrCreate())
    yield session
    session.stop()


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

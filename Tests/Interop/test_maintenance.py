"""Metadata maintenance: manifest merging, the metadata log limit, snapshot expiry and orphan files.

`floe serve` also expires snapshots itself (FLOE_MAINTENANCE_INTERVAL_MS, FLOE_MAX_SNAPSHOTS,
FLOE_MAX_SNAPSHOT_AGE_MS), so that its metadata stays bounded however long it runs.

500 small commits through the `floe` binary leave a table whose scan planning reads at most 20
manifests (FLOE_MANIFEST_MERGE_MIN_COUNT=10, in two tiers) and whose metadata directory keeps at most the
configured number of old metadata files; then `floe maintain` expires old snapshots and removes an
orphan file, and every event is still there exactly once.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

from api import segment_message
from corpus import dumps
from lake import data_files, duckdb_connect, duckdb_rows, load_table, local_path, pyiceberg_rows

COMMITS = 500


def test_five_hundred_commits_stay_cheap_to_plan_and_maintain(floe, floe_bin):
    # Expiry inside floe serve is off here: this test counts every snapshot, then expires with `floe maintain`.
    server = floe(env={"FLOE_MANIFEST_MERGE_MIN_COUNT": "10", "FLOE_METADATA_PREVIOUS_VERSIONS_MAX": "20",
                       "FLOE_EXPIRE_SNAPSHOTS": "0"})
    sent = []
    for index in range(COMMITS):
        message = {"userId": f"user-{index}", "event": "Maintained", "messageId": str(uuid.uuid4())}
        response = server.post("/v1/track", dumps(message))
        assert response.status_code == 200, response.text
        report = server.flush()
        assert report["rows"] == 1, report
        sent.append(message["messageId"])

    table = load_table(server.data_dir, "events")
    assert len(table.metadata.snapshots) == COMMITS
    manifests = table.current_snapshot().manifests(table.io)
    # Two tiers, each merged at 10: the appends' manifests and the merges' (docs/design.md §7).
    assert len(manifests) <= 20, f"{len(manifests)} manifests to plan a scan"
    metadata_dir = Path(local_path(table.metadata.location)) / "metadata"
    versions = sorted(metadata_dir.glob("*.metadata.json"))
    assert len(versions) <= 21, f"{len(versions)} metadata files kept"
    assert len(table.metadata.metadata_log) <= 20
    counts = Counter(row["message_id"] for row in pyiceberg_rows(table))
    assert set(counts) == set(sent) and max(counts.values()) == 1
    server.stop()

    orphan = Path(local_path(table.metadata.location)) / "data" / "abandoned-attempt.parquet"
    orphan.write_bytes(b"PAR1 not really")
    result = subprocess.run([str(floe_bin), "maintain", "--data-dir", str(server.data_dir),
                             "--expire-older-than-hours", "0", "--retain-last", "5", "--orphans-older-than-hours", "0"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = {entry["table"]: entry for entry in json.loads(result.stdout.strip().splitlines()[-1])}
    assert summary["events"]["expired_snapshots"] == COMMITS - 5, summary
    assert summary["events"]["orphan_files"] >= 1 and not orphan.exists()

    table = load_table(server.data_dir, "events")
    assert len(table.metadata.snapshots) == 5
    counts = Counter(row["message_id"] for row in pyiceberg_rows(table))
    assert set(counts) == set(sent) and max(counts.values()) == 1


def _flushed_one_by_one(server, count: int) -> list[str]:
    sent = []
    for index in range(count):
        message = {"userId": f"user-{index}", "event": "Expired", "messageId": str(uuid.uuid4())}
        response = server.post("/v1/track", dumps(message))
        assert response.status_code == 200, response.text
        assert server.flush()["rows"] == 1
        sent.append(message["messageId"])
    return sent


def test_serve_expires_snapshots_itself_and_keeps_every_row(floe):
    server = floe(env={"FLOE_MAINTENANCE_INTERVAL_MS": "200", "FLOE_MAX_SNAPSHOTS": "3"})
    sent = _flushed_one_by_one(server, 12)
    deadline = time.monotonic() + 10
    while len(load_table(server.data_dir, "events").metadata.snapshots) > 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    table = load_table(server.data_dir, "events")
    assert len(table.metadata.snapshots) <= 3, f"{len(table.metadata.snapshots)} snapshots after expiry"
    stored = Counter(row["message_id"] for row in pyiceberg_rows(table))
    assert all(stored[message_id] == 1 for message_id in sent), stored
    metrics = server.get("/metrics").text
    assert re.search(r'^floe_snapshots_expired_total\{table="events"\} (\d+)', metrics, re.M), metrics
    expired = int(float(re.search(r'^floe_snapshots_expired_total\{table="events"\} (\S+)', metrics, re.M).group(1)))
    assert expired >= 9, expired
    # Flushing goes on after expiry, from the expired table's current snapshot.
    later = _flushed_one_by_one(server, 2)
    stored = Counter(row["message_id"] for row in pyiceberg_rows(load_table(server.data_dir, "events")))
    assert all(stored[message_id] == 1 for message_id in sent + later)


def test_serve_keeps_every_snapshot_when_expiry_is_off(floe):
    server = floe(env={"FLOE_MAINTENANCE_INTERVAL_MS": "200", "FLOE_MAX_SNAPSHOTS": "3", "FLOE_EXPIRE_SNAPSHOTS": "false"})
    _flushed_one_by_one(server, 6)
    time.sleep(0.6)
    assert len(load_table(server.data_dir, "events").metadata.snapshots) == 6


def test_freshness_per_table_in_status_and_metrics(floe):
    """What an operator alerts on: age of the oldest buffered event, time from receipt to commit, the last
    commit, snapshot and file counts, and the last maintenance run, in /debug/status and /metrics."""
    server = floe(env={"FLOE_MAINTENANCE_INTERVAL_MS": "300"})
    assert server.post("/v1/batch", dumps({"batch": [segment_message("track") for _ in range(3)]})).status_code == 200
    time.sleep(1.2)
    before = {t["table"]: t for t in server.get("/debug/status").json()["tables"]}
    assert before["events"]["oldest_event_age_ms"] >= 1000 and before["events"]["last_commit_at"] is None
    metrics = server.get("/metrics").text
    assert re.search(r'^floe_buffer_oldest_event_age_seconds\{table="events"\} (1\.\d+|[2-9])', metrics, re.M), metrics
    server.flush()
    status = server.get("/debug/status").json()
    events = {t["table"]: t for t in status["tables"]}["events"]
    assert events["oldest_event_age_ms"] == 0 and events["snapshots"] == 1 and events["data_files"] == 1
    assert events["last_commit_at"].endswith("Z")
    metrics = server.get("/metrics").text
    assert re.search(r'^floe_receipt_to_commit_seconds_count\{table="events"\} 1$', metrics, re.M)
    assert re.search(r'^floe_table_last_commit_timestamp_seconds\{table="events"\} 1\d{9}', metrics, re.M)
    wait_for_maintenance = time.monotonic() + 10
    while server.get("/debug/status").json()["last_maintenance_at"] is None:
        assert time.monotonic() < wait_for_maintenance, "maintenance never ran"
        time.sleep(0.2)
    assert re.search(r'^floe_maintenance_last_run_timestamp_seconds 1\d{9}', server.get("/metrics").text, re.M)


def test_orphan_removal_gives_files_an_earlier_floe_wrote_decoded_their_literal_names(floe, floe_bin):
    """Floe before session 29 wrote a partition directory `type=order placed` for a manifest's
    `type=order%20placed`, where pyiceberg and DuckDB look: they could not read the table. Orphan removal
    (`floe maintain` here, and `floe serve` hourly) links such files to their literal paths; nothing is
    deleted or duplicated, and every reader scans the whole table again."""
    server = floe(env={"FLOE_EXPIRE_SNAPSHOTS": "0"})
    sent = [{"specversion": "1.0", "id": f"legacy-{uuid.uuid4()}", "source": "/tests/legacy", "type": kind, "data": {}}
            for kind in ["order placed", "café ☕", "plain"]]
    response = server.post("/events/batch", dumps(sent), content_type="application/cloudevents-batch+json")
    assert response.status_code == 200, response.text
    server.flush()
    server.stop()
    table = load_table(server.data_dir, "cloudevents")
    escaped = [Path(f.path) for f in data_files(table) if "%" in f.path]
    assert len(escaped) == 2, [f.path for f in data_files(table)]
    for path in escaped:  # as the earlier Floe left them
        legacy = Path(unquote(str(path)))
        legacy.parent.mkdir(parents=True, exist_ok=True)
        path.rename(legacy)
    with pytest.raises(Exception):
        pyiceberg_rows(table)

    result = subprocess.run([str(floe_bin), "maintain", "--data-dir", str(server.data_dir),
                             "--orphans-older-than-hours", "0"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = {entry["table"]: entry for entry in json.loads(result.stdout.strip().splitlines()[-1])}
    assert summary["cloudevents"]["relinked_files"] == 2, summary
    assert summary["cloudevents"]["orphan_files"] == 0, summary
    assert all(path.exists() for path in escaped)
    table = load_table(server.data_dir, "cloudevents")
    ids = {event["id"]: event["type"] for event in sent}
    assert {row["id"]: row["type"] for row in pyiceberg_rows(table)} == ids
    assert {row["id"]: row["type"] for row in duckdb_rows(duckdb_connect(), table)} == ids


@pytest.mark.parametrize("catalog", ["embedded", "rest"])
def test_expiry_drops_the_statistics_of_the_snapshots_it_removes_and_orphan_removal_their_files(floe_bin, tmp_path,
                                                                                                catalog):
    """Another engine's table statistics (`statistics`, `partition-statistics`: a Puffin file per snapshot) belong to
    their snapshot. Expiry kept them after their snapshot was gone, and orphan removal counted their files as live, so
    they stayed for ever; now the expiry commit removes them (as Java's and pyiceberg's expiry do) and orphan removal
    deletes their files."""
    from pyiceberg.table.statistics import BlobMetadata, PartitionStatisticsFile, StatisticsFile
    from pyiceberg.table.update import SetPartitionStatisticsUpdate
    from rest_catalog_server import RestCatalogServer

    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_", "R2_", "AWS_"))}
    rest = RestCatalogServer(tmp_path / "rest").start() if catalog == "rest" else None
    if rest:
        env.update({"R2_CATALOG_ENDPOINT": rest.uri, "FLOE_CATALOG_WAREHOUSE": "interop"})

    def floe_run(*arguments: str) -> None:
        result = subprocess.run([str(floe_bin), *arguments, "--data-dir", str(tmp_path / "data")], env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]

    def load():
        return rest.catalog.load_table("analytics.events") if rest else load_table(tmp_path / "data", "events")

    def backfill(name: str, seed: int) -> None:
        source = tmp_path / name
        source.write_bytes(b"\n".join(dumps(segment_message("track", messageId=f"{name}-{i}")) for i in range(20 + seed)) + b"\n")
        floe_run("backfill", str(source))

    backfill("first.ndjson", 0)
    table = load()
    first = table.metadata.current_snapshot_id
    files = {}
    for kind in ("table", "partition"):
        location = f"{table.location()}/metadata/{kind}-stats-{first}.puffin"
        Path(local_path(location)).write_bytes(b"PFA1" + bytes(20) + b"PFA1")
        files[kind] = Path(local_path(location))
        common = {"snapshot_id": first, "statistics_path": location, "file_size_in_bytes": 28}
        if kind == "table":
            with table.update_statistics() as update:
                update.set_statistics(StatisticsFile(**common, file_footer_size_in_bytes=8, blob_metadata=[
                    BlobMetadata(type="apache-datasketches-theta-v1", snapshot_id=first, sequence_number=1, fields=[1],
                                 properties={})]))
        else:
            with table.transaction() as transaction:
                transaction._apply((SetPartitionStatisticsUpdate(partition_statistics=PartitionStatisticsFile(**common)),))
        table = load()
    assert [s.snapshot_id for s in table.metadata.statistics] == [first]
    assert [s.snapshot_id for s in table.metadata.partition_statistics] == [first]
    backfill("second.ndjson", 1)

    floe_run("maintain", "--expire-older-than-hours", "0", "--retain-last", "1", "--orphans-older-than-hours", "0")
    table = load()
    assert first not in [s.snapshot_id for s in table.metadata.snapshots]
    assert (table.metadata.statistics, table.metadata.partition_statistics) == ([], [])
    assert not files["table"].exists() and not files["partition"].exists()
    assert len(pyiceberg_rows(table)) == 41
    if rest:
        rest.stop()


@pytest.mark.parametrize("arguments, message", [
    (["--expire-older-than-hours", "nan"], "--expire-older-than-hours takes 0 to 87600 hours"),
    (["--expire-older-than-hours=-5"], "--expire-older-than-hours takes 0 to 87600 hours"),
    (["--orphans-older-than-hours", "1e300"], "--orphans-older-than-hours takes 0 to 87600 hours"),
    (["--orphans-older-than-hours", "inf"], "--orphans-older-than-hours takes 0 to 87600 hours"),
    (["--expire-older-than-hours", "-5"], "--expire-older-than-hours takes 0 to 87600 hours"),
    (["--retain-last=-1"], "--retain-last takes 1 or more snapshots"),
    (["--retain-last", "-1"], "--retain-last takes 1 or more snapshots"),
], ids=["nan", "negative", "huge", "inf", "negative-spaced", "negative-retain", "negative-retain-spaced"])
def test_maintain_refuses_retentions_out_of_range_with_a_message(floe_bin, tmp_path, arguments, message):
    """A retention that is not a number of hours a Duration holds is refused before anything is opened, not a crash."""
    result = subprocess.run([str(floe_bin), "maintain", "--data-dir", str(tmp_path / "data"), *arguments],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and message in result.stderr, (result.returncode, result.stderr[-2000:])
    assert "Fatal error" not in result.stderr and not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", [["maintain"], ["flush"]])
def test_a_data_directory_nothing_used_is_refused_not_created(floe_bin, tmp_path, command):
    """A mistyped `--data-dir` gets a message naming the missing catalog or buffer, not a new empty one and exit 0."""
    missing = tmp_path / "no-such-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_", "R2_", "AWS_"))}
    result = subprocess.run([str(floe_bin), *command, "--data-dir", str(missing)], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode != 0, result.stdout
    what = "catalog" if command == ["maintain"] else "buffer"
    assert f"no {what} at {missing}/" in result.stderr and "check --data-dir" in result.stderr, result.stderr[-2000:]
    assert not missing.exists()

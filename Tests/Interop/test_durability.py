"""Acknowledged events survive a stop: Floe answers 200 only after the buffer committed (docs/design.md §4, §5)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from corpus import Window, generate
from floe_server import free_port
from lake import duckdb_rows, load_table, pyiceberg_rows
from tables import CLOUDEVENTS, EVENTS, assert_rows_match


@pytest.mark.parametrize("how", ["kill", "term"], ids=["SIGKILL", "SIGTERM"])
def test_acknowledged_events_survive_a_restart_exactly_once(floe, duck, how: str):
    server = floe()
    events = generate(2400, seed=21)
    cloudevents = generate(300, seed=22, fmt="cloudevents")
    window = Window.open()
    # Half of them reach the tables before the stop, half are only in the buffer.
    server.send_batches(events[:1200], size=100)
    server.send_cloudevents(cloudevents[:150])
    server.flush()
    server.send_batches(events[1200:], size=100)
    server.send_cloudevents(cloudevents[150:])
    window.close()

    if how == "kill":
        server.kill()
    else:
        assert server.stop() == 0, "floe did not exit cleanly on SIGTERM"
    server.start()
    server.flush()

    for shape, sent in ((EVENTS, events), (CLOUDEVENTS, cloudevents)):
        table = load_table(server.data_dir, shape.name)
        assert_rows_match("pyiceberg", shape, pyiceberg_rows(table), sent, window)
        assert_rows_match("duckdb", shape, duckdb_rows(duck, table), sent, window)


def test_one_process_at_a_time_flushes_a_data_directory(floe, floe_bin, tmp_path):
    """Two processes flushing one buffer would each commit its rows: a second `floe serve` on the same data directory,
    and `floe flush` while a server runs, stop at once with a message that says who holds it, and change nothing.
    Once the server has stopped, `floe flush` commits what it left buffered, each event once."""
    server = floe()
    events = generate(300, seed=23)
    server.send_batches(events, size=100)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_"))}
    for command in (["serve", "--port", str(free_port())], ["flush"]):
        done = subprocess.run([str(floe_bin), *command, "--data-dir", str(server.data_dir)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode != 0, done.stdout
        assert "another floe serve or floe flush is using this data directory" in done.stderr, done.stderr[-2000:]
        assert str(server.data_dir / "buffer.lock") in done.stderr, done.stderr[-2000:]
    assert server.get("/debug/status").json()["buffered_count"] == 300
    server.kill()  # no final flush: the kernel releases the lock of a process that is gone, however it went
    flushed = subprocess.run([str(floe_bin), "flush", "--data-dir", str(server.data_dir)], env=env,
                             capture_output=True, text=True, timeout=120)
    assert flushed.returncode == 0, flushed.stderr[-2000:]
    assert json.loads(flushed.stdout.strip().splitlines()[-1])["rows"] == 300, flushed.stdout
    rows = pyiceberg_rows(load_table(server.data_dir, EVENTS.name))
    assert sorted(r["message_id"] for r in rows) == sorted(e["messageId"] for e in events)


def test_a_port_in_use_stops_the_start_with_a_message(floe, floe_bin, tmp_path):
    """A second server on a port another process listens on says so and exits 1, without claiming it listens."""
    server = floe()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_"))}
    done = subprocess.run([str(floe_bin), "serve", "--port", str(server.port), "--data-dir", str(tmp_path / "other")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"cannot listen on 127.0.0.1:{server.port}: the address is already in use" in done.stderr, done.stderr[-2000:]
    assert "floe listening" not in done.stderr + done.stdout
    assert server.get("/health").status_code == 200


def test_a_removed_data_directory_refuses_events_instead_of_acknowledging_them_into_nothing(floe):
    """The buffer file removed under a running Floe (`rm -rf` of the data directory): SQLite kept writing to the
    unlinked file, so every request got 200 and the events were gone at the next start. Now appends and the load
    balancer's readiness probe check that the buffer file is still the one opened: 503, nothing acknowledged."""
    import shutil
    server = floe()
    first = {"type": "track", "userId": "u", "event": "Before", "messageId": "removed-dir-1"}
    assert server.post("/v1/track", json.dumps(first).encode()).status_code == 200
    shutil.rmtree(server.data_dir)
    later = server.post("/v1/track", json.dumps({**first, "messageId": "removed-dir-2"}).encode())
    assert later.status_code == 503 and "removed or replaced" in later.text, (later.status_code, later.text)
    ready = server.get("/health/ready?for=ingest")
    assert ready.status_code == 503 and "removed or replaced" in ready.text, (ready.status_code, ready.text)
    assert server.get("/health").status_code == 200


def test_a_second_embedded_catalog_on_the_same_warehouse_is_refused_its_tables(floe, tmp_path):
    """Two data directories (each its own embedded catalog.db) pointed at one warehouse: the second created its own
    `analytics.events` over the first one's files, and its orphan removal deleted them, so the first table no longer
    loaded. Creating a table where another catalog's metadata lies is refused, and the first table stays whole."""
    import time as clock
    warehouse = tmp_path / "shared-warehouse"
    first = floe(env={"FLOE_WAREHOUSE": str(warehouse)}, data_dir=tmp_path / "a")
    event = {"type": "track", "userId": "u", "event": "First", "messageId": "shared-1"}
    assert first.post("/v1/track", json.dumps(event).encode()).status_code == 200
    first.flush()
    old = clock.time() - 3_600
    for path in warehouse.rglob("*.metadata.json"):
        os.utime(path, (old, old))  # an hour-old table, not one being created this minute
    second = floe(env={"FLOE_WAREHOUSE": str(warehouse)}, data_dir=tmp_path / "b")
    assert second.post("/v1/track", json.dumps({**event, "messageId": "shared-2"}).encode()).status_code == 200
    refused = second.post("/debug/flush")
    assert refused.status_code == 503 and "another embedded catalog" in refused.text, (refused.status_code, refused.text)
    table = load_table(first.data_dir, "events")
    assert [row["message_id"] for row in pyiceberg_rows(table)] == ["shared-1"]

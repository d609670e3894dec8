"""Crash safety: SIGKILL at random moments under load, then every acknowledged event is in the table once.

Client threads send requests continuously, retrying a failed one with the same ids as an SDK would.
- The first test flushes small partitions every few hundred milliseconds and kills at random moments
  (12 kills), so kills land during appends, flushes, uploads and commits.
- The second one flushes constantly (ICEBERG_BUFFER_SIZE=40, ICEBERG_BUFFER_TIMEOUT_MS=100) with Segment
  batches, single tracks and CloudEvents, and times each of its 10 kills right after a /debug/flush was sent,
  so they land inside encode, upload, commit and the clean-up after the commit.
At the end:
- every event of a request that got a 200 is in its table exactly once (0 lost, 0 duplicated);
- a request that never got a 200 is in the table completely or not at all (never half-stored);
- the snapshot chain of each table is valid and each floe.commit-id was committed once.
"""
from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from api import assert_accepted, dumps, rows_with_keys, segment_message
from chaos import assert_snapshot_chain, kill_during_flush, start_clients, stop_clients, verdict
from lake import load_table, local_path, open_catalog, pyiceberg_rows
from tables import EVENTS


def test_sigkill_under_load_loses_and_duplicates_nothing(floe):
    kills = 12
    server = floe(env={"ICEBERG_BUFFER_SIZE": "300", "ICEBERG_BUFFER_TIMEOUT_MS": "200"})
    stop = threading.Event()
    clients = start_clients(lambda: server.url, 3, stop, seed=0, batch=50)
    rng = random.Random(7)
    for _ in range(kills):
        time.sleep(rng.uniform(0.2, 1.2))
        server.kill()
        time.sleep(rng.uniform(0.0, 0.3))
        server.start()
    time.sleep(1.0)
    stop_clients(clients, stop)
    server.flush()

    result = verdict(clients, {"events": load_table(server.data_dir, "events")})
    print(f"kills={kills} {result.summary()}")
    assert result.acked_requests > 20 * kills / 4, f"too little traffic got through: {result.summary()}"
    result.assert_ok()
    assert_snapshot_chain(load_table(server.data_dir, "events"), require_commit_ids=True)


def test_sigkill_during_flush_and_commit_loses_and_duplicates_nothing(floe):
    kills = 10
    server = floe(env={"ICEBERG_BUFFER_SIZE": "40", "ICEBERG_BUFFER_TIMEOUT_MS": "100"})
    stop = threading.Event()
    clients = start_clients(lambda: server.url, 4, stop, seed=100, batch=20,
                            kinds=("batch", "track", "cloudevents", "batch"), duplicates=0.05)
    rng = random.Random(11)
    for _ in range(kills):
        time.sleep(rng.uniform(0.4, 1.0))  # let requests pile up in the buffer
        kill_during_flush(server, rng, max_delay=0.3)
        server.start()
    time.sleep(1.0)
    stop_clients(clients, stop)
    server.flush()

    tables = {name: load_table(server.data_dir, name) for name in ("events", "cloudevents")}
    result = verdict(clients, tables)
    kinds = {kind: sum(1 for c in clients for r in c.acked if r.kind == kind) for kind in ("batch", "track", "cloudevents")}
    print(f"kills={kills} {result.summary()} acked_by_kind={kinds} resent={sum(c.resent for c in clients)}")
    assert all(kinds.values()), f"every kind of request must get through: {kinds}"
    result.assert_ok()
    for table in tables.values():
        assert_snapshot_chain(table, require_commit_ids=True)


def test_a_pending_flush_is_settled_only_for_the_tables_it_was_recorded_for(floe):
    """A flush recorded for analytics.events (its files written under that table's location) but not committed when
    the process died belongs there. Restarted with another ICEBERG_NAMESPACE, Floe refuses to start rather than
    commit it into the other table, where its rows would be committed a second time had the first commit landed,
    and where its files would be orphans of the first table, deleted by its maintenance. Restarted as before, it
    commits the flush once; after that the namespace can change."""
    server = floe()
    assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track")]})))
    server.flush()
    data = Path(local_path(load_table(server.data_dir, EVENTS.name).location())) / "data"
    moved = data.with_name("data.moved")
    data.rename(moved)
    data.write_text("a file where the data directory was: the flush fails after recording its intent")
    pending = segment_message("track")
    assert_accepted(server.post("/v1/batch", dumps({"batch": [pending]})))
    assert server.post("/debug/flush").status_code == 503
    server.kill()
    data.unlink()
    moved.rename(data)

    with pytest.raises(RuntimeError, match="pending flush of table 'events'"):
        server.start(env={"ICEBERG_NAMESPACE": "other"})
    assert "namespace analytics" in server.log_tail()
    server.start(env={"ICEBERG_NAMESPACE": "analytics"})
    server.flush()  # after the recovery at start, which runs in the background
    assert len(rows_with_keys(server, EVENTS, [pending["messageId"]])) == 1
    server.restart(env={"ICEBERG_NAMESPACE": "other"})
    later = segment_message("track")
    assert_accepted(server.post("/v1/batch", dumps({"batch": [later]})))
    server.flush()
    other = open_catalog(server.data_dir).load_table(f"other.{EVENTS.name}")
    assert [r["message_id"] for r in pyiceberg_rows(other)] == [later["messageId"]]
    assert len(rows_with_keys(server, EVENTS, [pending["messageId"]])) == 1

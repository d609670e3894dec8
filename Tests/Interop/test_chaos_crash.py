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

from chaos import assert_snapshot_chain, kill_during_flush, start_clients, stop_clients, verdict
from lake import load_table


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

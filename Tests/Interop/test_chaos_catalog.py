"""Catalog faults under live traffic: Floe commits to an Iceberg REST catalog (rest_catalog_server.py) that
misbehaves while clients keep sending and Floe keeps flushing (ICEBERG_BUFFER_TIMEOUT_MS=300).

- 409 storms: a pyiceberg writer appends to the same `events` table in a loop, so Floe's commits keep losing
  the optimistic race and must reload, rebase and retry;
- 500/502/503/504 answered before the commit is applied, and 503 after it was applied (state unknown:
  Floe must look for its floe.commit-id instead of appending again);
- a commit applied, then answered only after a while, with Floe SIGKILLed while it waits (recovery at start);
- a commit answered after Floe's commit timeout (catalog.commit_timeout_ms, 15 s here), with a pyiceberg
  append landing on top of it meanwhile (Floe must find its snapshot in the ancestry, not only at the head);
- the catalog down (refused connections, open connections cut) for 25 s while ingest goes on;
- a commit applied while Floe is killed, whose snapshot is expired before Floe starts again;
- the embedded catalog's SQLite file locked by another process: only the calls that need it wait;
- SIGTERM while maintenance waits on a snapshot expiry, or a scheduled flush on its commit, that the catalog
  answers late: the shutdown does not wait.
At the end every acknowledged event is in its table exactly once, every pyiceberg append too, and the snapshot
log is one valid chain whose data files hold exactly the table's rows.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from api import assert_accepted, dumps, segment_message
from chaos import (ConcurrentWriter, TcpRelay, assert_snapshot_chain, flush_until_empty, start_clients, stop_clients,
                   verdict, wait_until)
from lake import load_table
from rest_catalog_server import RestCatalogServer
from tables import EVENTS

TOKEN = "chaos-catalog-token"
DOWN_SECONDS = 25.0
CLIENT_TIMEOUT_S = 15.0  # catalog.commit_timeout_ms where set: a commit answered later has an unknown outcome


@pytest.fixture
def catalog(tmp_path):
    rest = RestCatalogServer(tmp_path / "rest", token=TOKEN).start()
    relay = TcpRelay(rest.port).start()  # Floe talks to the relay, so the catalog can really go down
    yield rest, relay
    relay.stop()
    rest.stop()


def floe_env(relay: TcpRelay, **extra) -> dict[str, str]:
    return {"R2_CATALOG_ENDPOINT": relay.uri, "R2_CATALOG_AUTH_TOKEN": TOKEN, "FLOE_CATALOG_WAREHOUSE": "interop",
            "ICEBERG_BUFFER_SIZE": "200", "ICEBERG_BUFFER_TIMEOUT_MS": "300", **extra}


def commit_statuses(rest: RestCatalogServer) -> Counter:
    """Statuses the catalog answered to table commits (POST .../tables/{t})."""
    return Counter(e.get("status") for e in list(rest.log)
                   if e["method"] == "POST" and "/tables/" in e["path"])


def writer_for(rest: RestCatalogServer, stop: threading.Event, **options) -> ConcurrentWriter:
    return ConcurrentWriter(rest.root / "catalog.db", f"file://{rest.root}/warehouse", "analytics.events", stop,
                            **options)


def check_tables(rest: RestCatalogServer, clients, writer: ConcurrentWriter) -> dict:
    tables = {name: rest.catalog.load_table(f"analytics.{name}") for name in ("events", "cloudevents")}
    result = verdict(clients, tables, extra_expected={"events": writer.committed})
    chains = {name: assert_snapshot_chain(table) for name, table in tables.items()}
    print(f"{result.summary()} writer_appends={len(writer.committed) // writer.rows_per_append} "
          f"writer_conflicts={writer.conflicts} chains={chains} commit_statuses={dict(commit_statuses(rest))}")
    assert not writer.errors, f"the pyiceberg writer failed: {writer.errors[:3]}"
    result.assert_ok()
    return chains


def test_conflicts_5xx_kills_and_an_outage_under_live_traffic(floe, catalog):
    rest, relay = catalog
    server = floe(env=floe_env(relay))
    stop = threading.Event()
    clients = start_clients(lambda: server.url, 3, stop, seed=300, batch=25, kinds=("batch", "cloudevents"),
                            pause=0.02)
    wait_until(lambda: rest.commits_applied >= 2, 30, "Floe's first commits")

    # 409 storm: another writer appends to the same table as fast as it can.
    writer = writer_for(rest, stop)
    writer.start()
    wait_until(lambda: commit_statuses(rest)[409] >= 10 and len(writer.committed) >= 30, 40,
               "a storm of 409s and 10 concurrent appends")
    writer.active.clear()

    # 5xx before the commit is applied, then 503 after it was applied.
    rest.faults.commit_statuses = [500, 503, 502, 504, 503, 500]
    wait_until(lambda: not rest.faults.commit_statuses, 60, "the 5xx-before-apply faults to be used")
    applied_before = rest.commits_applied
    rest.faults.fail_after_apply = 3
    wait_until(lambda: rest.faults.fail_after_apply == 0 and rest.commits_applied >= applied_before + 4, 60,
               "the 503-after-apply faults to be used")

    # A commit applied but answered late; Floe is killed while it waits and must recover at start-up.
    for _ in range(2):
        rest.faults.slow_seconds, rest.faults.slow_commits = 3.0, 1
        wait_until(lambda: rest.faults.slow_commits == 0, 30, "a slow commit")
        time.sleep(0.5)
        server.kill()
        server.start()

    # The catalog goes down while clients keep sending: ingest must not depend on it.
    acked_before = sum(len(c.acked) for c in clients)
    relay.down(DOWN_SECONDS).join()
    acked_during = sum(len(c.acked) for c in clients) - acked_before
    assert acked_during > 50, f"only {acked_during} requests acknowledged while the catalog was down"
    writer.active.set()  # conflicts again while Floe catches up on the backlog
    time.sleep(3.0)
    stop_clients(clients, stop)
    writer.join(30)
    flush_until_empty(server)

    chains = check_tables(rest, clients, writer)
    statuses = commit_statuses(rest)
    assert statuses[409] >= 10 and statuses[503] >= 3, statuses
    assert chains["events"]["floe_commits"] >= 5, chains


def test_a_commit_answered_after_the_client_timeout_is_found_not_repeated(floe, catalog):
    """The catalog applies a commit but answers after Floe's commit timeout (15 s here, set through
    FLOE_CATALOG_COMMIT_TIMEOUT_MS); meanwhile another writer appends on top of it, and the catalog is briefly
    unreachable when Floe looks for its commit. Floe must find its snapshot in the ancestry of main and never
    append those rows again."""
    rest, relay = catalog
    server = floe(env=floe_env(relay, FLOE_CATALOG_COMMIT_TIMEOUT_MS=str(int(CLIENT_TIMEOUT_S * 1000))))
    stop = threading.Event()
    clients = start_clients(lambda: server.url, 2, stop, seed=400, batch=25, kinds=("batch", "cloudevents"),
                            pause=0.05)
    wait_until(lambda: rest.commits_applied >= 2, 30, "Floe's first commits")
    writer = writer_for(rest, stop, pause=5.0)
    writer.active.clear()
    writer.start()

    rest.faults.slow_seconds, rest.faults.slow_commits = CLIENT_TIMEOUT_S + 4, 1
    wait_until(lambda: rest.faults.slow_commits == 0, 30, "the slow commit")
    slow_started = time.monotonic()
    writer.active.set()  # appends on top of Floe's (applied, unanswered) snapshot
    wait_until(lambda: len(writer.committed) >= 6, 30, "two concurrent appends")
    writer.active.clear()
    time.sleep(max(0.0, slow_started + CLIENT_TIMEOUT_S + 0.5 - time.monotonic()))
    relay.down(3.0).join()  # Floe's reload after the timeout meets a catalog that is not there
    time.sleep(2.0)
    stop_clients(clients, stop)
    stop.set()
    writer.join(30)
    flush_until_empty(server)
    check_tables(rest, clients, writer)
    assert "commitStateUnknown" in server.log_tail(10_000_000), "Floe never saw the commit time out"


def test_a_redirected_commit_is_a_failed_commit_not_a_lost_one(floe, catalog):
    """A commit answered 303 (a proxy in front of the catalog, say) was not applied. Following the redirect would
    GET the table and read its 200 as a committed snapshot, and the buffered rows would be dropped; Floe must
    treat it as a failed commit and commit the same rows again."""
    rest, relay = catalog
    server = floe(env=floe_env(relay))
    sent = [segment_message("track", messageId=f"redirected-{uuid.uuid4()}") for _ in range(20)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": sent})))
    rest.faults.commit_redirects = 3
    flush_until_empty(server)
    assert rest.faults.commit_redirects < 3 and 303 in commit_statuses(rest)
    stored = rest.catalog.load_table("analytics.events").scan(selected_fields=("message_id",)).to_arrow()
    got = [m for m in stored["message_id"].to_pylist() if m.startswith("redirected-")]
    assert sorted(got) == sorted(m["messageId"] for m in sent)


def test_a_pending_flush_whose_snapshot_was_expired_is_not_appended_again(floe, catalog):
    """The catalog applies Floe's commit, Floe is SIGKILLed before the answer, another writer appends twice and
    the snapshot is expired while Floe is down. At start Floe cannot find its commit id in the history any more;
    the `floe.writer.{id}.last-commit` property set in the same commit must tell it the flush was committed."""
    rest, relay = catalog
    server = floe(env=floe_env(relay, ICEBERG_BUFFER_SIZE="100000", ICEBERG_BUFFER_TIMEOUT_MS="3600000"))
    ids = []
    for batch in range(5):
        messages = [{"type": "track", "event": "Expired Flush", "userId": f"u{batch}",
                     "messageId": f"expired-{batch}-{n}-{uuid.uuid4().hex[:8]}"} for n in range(20)]
        response = server.post("/v1/batch", dumps({"batch": messages}))
        assert response.status_code == 200, response.text
        ids += [m["messageId"] for m in messages]

    rest.faults.slow_seconds, rest.faults.slow_commits = 30.0, 1
    def flush_and_die():
        try:
            server.post("/debug/flush")
        except Exception:  # noqa: BLE001 - the server is killed while this waits
            pass

    flusher = threading.Thread(target=flush_and_die, daemon=True)
    flusher.start()
    wait_until(lambda: rest.faults.slow_commits == 0, 30, "the slow commit")  # applied, answer pending
    server.kill()

    events = rest.catalog.load_table("analytics.events")
    floe_snapshot = next(s for s in events.snapshots() if (s.summary or {}).get("floe.commit-id"))
    stop = threading.Event()
    writer = writer_for(rest, stop)
    writer.start()
    wait_until(lambda: len(writer.committed) >= 2 * writer.rows_per_append, 30, "two appends on top")
    stop.set()
    writer.join(30)
    events = rest.catalog.load_table("analytics.events")
    events.maintenance.expire_snapshots().by_id(floe_snapshot.snapshot_id).commit()
    assert rest.catalog.load_table("analytics.events").snapshot_by_id(floe_snapshot.snapshot_id) is None

    server.start()
    flush_until_empty(server)
    assert "recovered committed flush" in server.log_tail(1_000_000)
    rows = rest.catalog.load_table("analytics.events").scan(selected_fields=("message_id",)).to_arrow()
    counts = Counter(rows.column("message_id").to_pylist())
    assert [i for i in ids if counts[i] != 1] == [], "rows of the expired flush lost or appended again"
    assert all(counts[i] == 1 for i in writer.committed)


def test_a_locked_embedded_catalog_holds_up_only_what_needs_it(floe):
    """Another process holding the lock of the embedded catalog's database (pyiceberg, a `sqlite3` shell, a
    second Floe) makes a commit and the readiness check wait for it, up to the busy timeout; GET /health and
    ingest are answered meanwhile. (SQLite waiting on one of the few threads Swift tasks run on stalled
    every request: GET /health took 14.5 s with a flush and two readiness checks waiting.)"""
    server = floe()
    assert_accepted(server.post("/v1/track", dumps(segment_message("track"))))
    server.flush()
    assert_accepted(server.post("/v1/track", dumps(segment_message("track"))))
    answers: dict[str, requests.Response] = {}

    def call(name: str, method: str, path: str) -> None:
        answers[name] = requests.request(method, server.url + path, timeout=30)

    waiting = [threading.Thread(target=call, args=args) for args in
               (("flush", "POST", "/debug/flush"), ("ready", "GET", "/health/ready"),
                ("ready again", "GET", "/health/ready"))]
    lock = sqlite3.connect(server.data_dir / "catalog.db", timeout=1, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        for thread in waiting:
            thread.start()
        time.sleep(0.5)
        for _ in range(5):
            started = time.monotonic()
            assert server.get("/health").status_code == 200
            assert_accepted(server.post("/v1/track", dumps(segment_message("track"))))
            assert time.monotonic() - started < 1.0, "a request that needs no catalog waited for its lock"
        assert waiting[0].is_alive(), "the flush should be waiting for the catalog's lock"
    finally:
        lock.close()
    for thread in waiting:
        thread.join(30)
    assert {name: answer.status_code for name, answer in answers.items()} == \
        {"flush": 200, "ready": 200, "ready again": 200}
    server.flush()
    assert load_table(server.data_dir, EVENTS.name).scan().to_arrow().num_rows == 7


def test_sigterm_does_not_wait_for_a_maintenance_run_stuck_in_a_slow_commit(floe, catalog):
    """Maintenance's expiry commit is applied but answered only after 40 s, and it holds the flush lock meanwhile.
    SIGTERM then must cancel the run: the final flush commits what was sent in the meantime and the process exits
    within its 8 s shutdown timeout (it used to wait for the answer). Every event is in the table once."""
    rest, relay = catalog
    server = floe(env=floe_env(relay, ICEBERG_BUFFER_SIZE="100000", ICEBERG_BUFFER_TIMEOUT_MS="600000",
                               FLOE_MAINTENANCE_INTERVAL_MS="300", FLOE_MAX_SNAPSHOTS="1", FLOE_COMPACT="false",
                               FLOE_REMOVE_ORPHANS="false", FLOE_DRAIN_DELAY_MS="0", FLOE_SHUTDOWN_TIMEOUT_MS="8000"))
    rest.faults.slow_seconds, rest.faults.slow_expiries = 40.0, 1
    sent = [segment_message("track", messageId=f"stuck-{uuid.uuid4()}") for _ in range(30)]
    for part in (sent[:10], sent[10:20]):
        assert_accepted(server.post("/v1/batch", dumps({"batch": part})))
        server.flush()
    wait_until(lambda: rest.faults.slow_expiries == 0, 30, "maintenance's slow expiry commit")
    assert_accepted(server.post("/v1/batch", dumps({"batch": sent[20:]})))  # buffered: only the final flush commits it
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    elapsed = time.monotonic() - started
    assert elapsed < 12, f"shutdown took {elapsed:.1f} s with an 8 s bound"
    assert "snapshot expiry stopped for shutdown" in server.log_tail(100_000)
    stored = rest.catalog.load_table("analytics.events").scan(selected_fields=("message_id",)).to_arrow()
    got = [m for m in stored["message_id"].to_pylist() if m.startswith("stuck-")]
    assert sorted(got) == sorted(m["messageId"] for m in sent)


def test_sigterm_cancels_a_scheduled_flush_stuck_in_a_slow_commit(floe, catalog):
    """A scheduled flush's commit is applied but answered only after 40 s. SIGTERM then must not wait for it: a
    second past the 4 s shutdown timeout the stuck cycle is cancelled and the process exits. The next start finds
    the commit and stores nothing twice."""
    rest, relay = catalog
    server = floe(env=floe_env(relay, FLOE_DRAIN_DELAY_MS="0", FLOE_SHUTDOWN_TIMEOUT_MS="4000",
                               FLOE_MAINTENANCE_INTERVAL_MS="0"))
    rest.faults.slow_seconds, rest.faults.slow_commits = 40.0, 1
    sent = [segment_message("track", messageId=f"stuck-flush-{uuid.uuid4()}") for _ in range(20)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": sent})))
    wait_until(lambda: rest.faults.slow_commits == 0, 30, "the scheduled flush's slow commit")
    # An operator sees the flush held up before it fails.
    events = next(t for t in server.get("/debug/status").json()["tables"] if t["table"] == "events")
    assert events["flush_started_at"] is not None and events["flush_failing_since"] is None, events
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    elapsed = time.monotonic() - started
    assert elapsed < 9, f"shutdown took {elapsed:.1f} s with a 4 s bound"
    server.start(env=floe_env(relay, FLOE_MAINTENANCE_INTERVAL_MS="0"))
    flush_until_empty(server)
    stored = rest.catalog.load_table("analytics.events").scan(selected_fields=("message_id",)).to_arrow()
    got = [m for m in stored["message_id"].to_pylist() if m.startswith("stuck-flush-")]
    assert sorted(got) == sorted(m["messageId"] for m in sent)


def test_an_instance_restarted_during_a_catalog_outage_is_ready_for_ingest(floe, catalog):
    """A load balancer probes `/health/ready?for=ingest`. An instance restarted while the catalog is down, with a
    flush to recover, takes events and answers that probe with 200 at once: its recovery waits for the catalog,
    its ingest does not (docs/scaling.md). Plain `/health/ready` says it is recovering, and on what. A refused catalog
    connection fails a request within the connect timeout, not the whole request timeout (30 s an attempt)."""
    rest, relay = catalog
    server = floe(env=floe_env(relay, ICEBERG_BUFFER_SIZE="100000", ICEBERG_BUFFER_TIMEOUT_MS="600000"))
    sent = [segment_message("track") for _ in range(30)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": sent[:10]})))
    assert server.flush()["rows"] == 10
    assert_accepted(server.post("/v1/batch", dumps({"batch": sent[10:20]})))
    relay.stop()
    started = time.monotonic()
    failed = server.http.post(server.url + "/debug/flush", timeout=300)
    took = time.monotonic() - started
    assert failed.status_code == 503, failed.text
    # Five attempts with backoff; at 30 s an attempt this took over two minutes.
    assert took < 60, f"a flush against a refused catalog took {took:.0f} s"

    server.kill()
    server.start()
    deadline = time.monotonic() + 5
    while server.get("/health/ready?for=ingest").status_code != 200:
        assert time.monotonic() < deadline, server.get("/health/ready?for=ingest").text
        time.sleep(0.2)
    plain = server.get("/health/ready")
    assert plain.status_code == 503 and "recovering" in plain.text, plain.text
    # It answers at once, and says what recovery waits for as soon as a check (started by a probe) has found it.
    deadline = time.monotonic() + 10
    while True:
        started = time.monotonic()
        plain = server.get("/health/ready")
        assert time.monotonic() - started < 1, "a probe waited on the catalog"
        reasons = plain.json()["errors"]
        assert plain.status_code == 503 and reasons[0] == "recovering pending flushes", plain.text
        if len(reasons) > 1:
            break
        assert time.monotonic() < deadline, plain.text
        time.sleep(0.5)
    assert_accepted(server.post("/v1/batch", dumps({"batch": sent[20:]})))

    relay.start()
    flush_until_empty(server)
    table = rest.catalog.load_table("analytics.events")
    counts = Counter(row["message_id"] for row in table.scan(selected_fields=("message_id",)).to_arrow().to_pylist())
    assert counts == Counter(m["messageId"] for m in sent), counts


def test_a_table_dropped_and_created_again_behind_floe_gets_its_own_field_ids(floe, catalog):
    """Another tool drops `events` and creates it again with the same columns in another order, so the catalog gives
    them other field ids, at another location. Floe's next commit is refused (the table is not the one its files
    were written for), and the flush writes them anew under the new table's location with its ids: every reader
    reads every row in its own columns."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema, assign_fresh_schema_ids
    import pyarrow.parquet as pq
    from lake import local_path

    rest, relay = catalog
    server = floe(env=floe_env(relay, ICEBERG_BUFFER_SIZE="100000", ICEBERG_BUFFER_TIMEOUT_MS="600000"))
    before = [segment_message("track") for _ in range(10)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": before})))
    assert server.flush()["rows"] == 10
    old = rest.catalog.load_table("analytics.events")
    names = {field.field_id: field.name for field in old.schema().fields}
    rest.catalog.drop_table("analytics.events")
    schema = assign_fresh_schema_ids(Schema(*reversed(old.schema().fields)))
    ids = {field.name: field.field_id for field in schema.fields}
    spec = PartitionSpec(*[PartitionField(source_id=ids[names[p.source_id]], field_id=p.field_id, transform=p.transform,
                                          name=p.name) for p in old.spec().fields])
    moved = old.location() + "-recreated"
    rest.catalog.create_table("analytics.events", schema=schema, partition_spec=spec, location=moved)
    assert ids["message_id"] != 1

    after = [segment_message("track") for _ in range(10)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": after})))
    flush_until_empty(server)
    table = rest.catalog.load_table("analytics.events")
    rows = table.scan(selected_fields=("message_id", "type", "event")).to_arrow().to_pylist()
    assert sorted(r["message_id"] for r in rows) == sorted(m["messageId"] for m in after), rows
    assert {(r["type"], r["event"]) for r in rows} == {("track", m["event"]) for m in after}
    for task in table.scan().plan_files():
        assert task.file.file_path.startswith(moved + "/data/"), task.file.file_path
        parquet = pq.read_schema(local_path(task.file.file_path))
        written = {f.name: int(f.metadata[b"PARQUET:field_id"]) for f in parquet if f.metadata}
        assert written["message_id"] == ids["message_id"], written
    assert "the table was replaced" in server.log_tail(), "the refused commit is logged"


def test_maintain_plans_an_expiry_again_when_another_won_and_reports_a_table_it_could_not_expire(floe, floe_bin,
                                                                                                  catalog):
    """Two expiries at once (two instances, or `floe maintain` beside `floe serve`): the one that commits second names
    snapshots the first removed, and a catalog refuses ids it no longer has (pyiceberg's answers 400). It plans again
    from the table as it is. An expiry the catalog keeps refusing (409 on every attempt) is reported for its table,
    with exit status 1, and the other tables are still maintained."""
    rest, relay = catalog
    server = floe(env=floe_env(relay, FLOE_MAINTENANCE_INTERVAL_MS="0", ICEBERG_BUFFER_TIMEOUT_MS="600000"))
    cloudevent = lambda: {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/expiry", "type": "t"}
    sent = []
    for _ in range(4):
        sent += [segment_message("track") for _ in range(5)]
        assert_accepted(server.post("/v1/batch", dumps({"batch": sent[-5:]})))
        assert_accepted(server.post("/events", dumps(cloudevent()), content_type="application/cloudevents+json"))
        server.flush()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_", "R2_", "AWS_"))}
    env.update(floe_env(relay))

    def maintain() -> tuple[int, dict, str]:
        done = subprocess.run([str(floe_bin), "maintain", "--data-dir", str(server.data_dir), "--expire-older-than-hours",
                               "0", "--retain-last", "1"], capture_output=True, text=True, timeout=300, env=env)
        results = {entry["table"]: entry for entry in json.loads(done.stdout.strip().splitlines()[-1])}
        return done.returncode, results, done.stderr

    rest.faults.expiries_preempted = 1
    code, results, stderr = maintain()
    assert code == 0, stderr[-3000:]
    assert rest.faults.expiries_preempted == 0 and commit_statuses(rest)[400] == 1, dict(commit_statuses(rest))
    assert results["events"]["expired_snapshots"] == 2 and results["cloudevents"]["expired_snapshots"] == 3, results
    assert len(rest.catalog.load_table("analytics.events").snapshots()) == 1

    for _ in range(2):
        assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track")]})))
        assert_accepted(server.post("/events", dumps(cloudevent()), content_type="application/cloudevents+json"))
        server.flush()
    rest.faults.expiry_statuses = [409] * 5  # every attempt of the first table's expiry (events)
    code, results, stderr = maintain()
    assert code == 1 and "events" in stderr, stderr[-3000:]
    assert "conflict" in results["events"]["expiry_error"].lower(), results["events"]
    assert results["cloudevents"]["expired_snapshots"] == 2 and "expiry_error" not in results["cloudevents"], results
    assert "orphans_error" not in results["events"]
    assert len(rest.catalog.load_table("analytics.events").snapshots()) == 3
    rows = rest.catalog.load_table("analytics.events").scan(selected_fields=("message_id",)).to_arrow()
    assert len(rows) == len(sent) + 2

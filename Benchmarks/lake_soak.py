#!/usr/bin/env python3
"""A table after thousands of commits, with maintenance inside `floe serve` (issue: a lake that stays fast).

    .venv/bin/python Benchmarks/lake_soak.py --snapshots 3000          # or `make lake-soak`

Accelerated: a 100 ms flush timeout (ICEBERG_BUFFER_TIMEOUT_MS) makes every cycle a commit, and maintenance
runs every FLOE_MAINTENANCE_INTERVAL_MS (2 s) with FLOE_PARTITION_GRACE_MS (30 s). Clients send Segment
batches and CloudEvents batches paced to --rate events/s, their times spread over the 6 hours before the
current one, so partitions are closed and late events keep arriving into them (the worst case for
compaction: every closed partition gets new small files between two runs). Everything else is at its
default. The server is SIGKILLed every --kill-every seconds, alternately during a flush and 0-300 ms after
a compaction started (its "compacting" log line).

It stops once the tables hold --snapshots commits (the count of flush commits, floe_flush_duration_seconds),
stops the clients, flushes, waits for one more maintenance run, and reports:

- mean flush duration of the first and the last minute (from floe_flush_duration_seconds);
- RSS median of the first and the last minute;
- the current metadata file of `events` (largest seen during the run, and at the end);
- data files of `events` at the end, and DuckDB `iceberg_scan` (a GROUP BY) and pyiceberg full-scan times over
  it, beside the same rows written by pyiceberg as one file per partition (the peer, same run);
- every acknowledged event in the tables exactly once (lost, duplicated, half-stored requests).

Exits 1 when an event is lost or doubled, or when a bound is missed: flush duration > 1.5x, RSS > 1.25x,
metadata >= 1 MB, a scan > 2x the one-file-per-partition table.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))

from chaos import (CLOUDEVENTS_BATCH_JSON, Client, ProcessProbe, Request, flush_until_empty,  # noqa: E402
                   kill_during_flush, stop_clients, verdict)
from corpus import dumps, iso  # noqa: E402
from floe_server import FloeServer  # noqa: E402
from lake import duckdb_connect, load_table, local_path  # noqa: E402


class PastClient(Client):
    """A chaos client whose events carry times in the 6 hours before the current one (no sentAt), paced."""

    def __init__(self, *args, interval: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.interval = interval
        for event in self._segment:
            event.pop("sentAt", None)

    def _past(self) -> str:
        hour = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
        return iso(hour - dt.timedelta(seconds=self.rng.uniform(1, 6 * 3600)))

    def make(self, kind: str) -> Request:
        started = time.monotonic()
        if kind == "batch":
            events = [dict(e, messageId=self._uuid(), timestamp=self._past()) for e in self.rng.sample(self._segment, self.batch)]
            request = Request(kind, "/v1/batch", dumps({"batch": events}), "application/json", [e["messageId"] for e in events])
        else:
            count = max(1, self.batch // 5)
            events = [dict(e, id=self._uuid(), time=self._past()) for e in self.rng.sample(self._cloudevents, count)]
            request = Request(kind, "/events/batch", dumps(events), CLOUDEVENTS_BATCH_JSON, [e["id"] for e in events])
        time.sleep(max(0.0, self.interval - (time.monotonic() - started)))
        return request


def metric(text: str, name: str) -> float:
    total = 0.0
    for match in re.finditer(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", text, re.M):
        total += float(match.group(1))
    return total


def metadata_size(data_dir: Path, name: str = "events") -> int:
    table = load_table(data_dir, name)
    return os.path.getsize(local_path(table.metadata_location))


def timed(call, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def compare_scans(data_dir: Path, home: Path) -> dict:
    """DuckDB and pyiceberg over the events table, and over the same rows as one file per partition."""
    import pyarrow.compute as pc
    from pyiceberg.catalog.sql import SqlCatalog

    table = load_table(data_dir, "events")
    rows = table.scan().to_arrow()
    peer_catalog = SqlCatalog("peer", uri=f"sqlite:///{home}/peer.db", warehouse=f"file://{home}/peer")
    peer_catalog.create_namespace("analytics")
    peer = peer_catalog.create_table("analytics.events", schema=table.schema(), partition_spec=table.spec())
    hours = pc.cast(rows.column("timestamp"), "int64")
    keys = sorted(set(zip(rows.column("type").to_pylist(), [h // 3_600_000_000 for h in hours.to_pylist()])))
    for kind, hour in keys:
        mask = pc.and_(pc.equal(rows.column("type"), kind),
                       pc.equal(pc.divide(hours, 3_600_000_000), hour))
        with peer.transaction() as transaction:
            transaction.append(rows.filter(mask))
        peer = peer_catalog.load_table("analytics.events")
    duck = duckdb_connect()
    query = "SELECT type, count(*), count(DISTINCT user_id) FROM iceberg_scan(?) GROUP BY type"

    def files(t):
        return len(t.inspect.files())

    result = {"rows": rows.num_rows, "floe_files": files(table), "peer_files": files(peer)}
    for label, t in (("floe", table), ("peer", peer)):
        location = local_path(t.metadata_location)
        result[f"{label}_duckdb_s"] = timed(lambda: duck.execute(query, [location]).fetchall())
        result[f"{label}_pyiceberg_s"] = timed(lambda: t.scan().to_arrow(), repeat=2)
    result["duckdb_ratio"] = result["floe_duckdb_s"] / result["peer_duckdb_s"]
    result["pyiceberg_ratio"] = result["floe_pyiceberg_s"] / result["peer_pyiceberg_s"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshots", type=int, default=3000, help="stop after this many flush commits")
    parser.add_argument("--rate", type=int, default=500, help="events per second, all clients together")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=60.0, help="seconds between SIGKILLs (0: never)")
    parser.add_argument("--binary", default=os.environ.get("FLOE_BIN", str(ROOT / ".build" / "release" / "floe")))
    parser.add_argument("--dir", help="working directory (default: a new temporary one, kept)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    home = Path(args.dir or tempfile.mkdtemp(prefix="floe-lake-soak-"))
    home.mkdir(parents=True, exist_ok=True)
    env = {"ICEBERG_BUFFER_TIMEOUT_MS": "100", "FLOE_MAINTENANCE_INTERVAL_MS": "2000", "FLOE_PARTITION_GRACE_MS": "30000"}
    server = FloeServer(Path(args.binary), home / "data", home / "floe.log", env=env)
    print(f"lake soak: until {args.snapshots} commits, {args.rate} events/s, kill every {args.kill_every} s, "
          f"changed settings {env}, binary {args.binary}, dir {home}", flush=True)
    server.start()
    stop = threading.Event()
    batch = 50
    # Each client alternates a batch of 50 Segment events and one of 10 CloudEvents: 60 events per two requests.
    interval = (batch + batch // 5) * args.clients / (2 * args.rate)
    clients = [PastClient(lambda: server.url, args.seed * 100 + i, stop, kinds=("batch", "cloudevents"), batch=batch,
                          interval=interval) for i in range(args.clients)]
    for client in clients:
        client.start()
    rng = random.Random(args.seed)
    started = time.monotonic()
    samples = []  # (t, rss MB, flush commits, flush seconds total)
    kills = {"flush": 0, "compaction": 0}
    commits_before = 0.0
    seconds_before = 0.0
    largest_metadata = 0
    next_kill = started + args.kill_every if args.kill_every else float("inf")
    log_offset = 0
    try:
        while True:
            time.sleep(1.0)
            now = time.monotonic()
            try:
                text = server.get("/metrics").text
                rss = ProcessProbe(server.process.pid).rss_mb()
            except Exception:
                continue
            count = commits_before + metric(text, "floe_flush_duration_seconds_count")
            total = seconds_before + metric(text, "floe_flush_duration_seconds_sum")
            samples.append((now - started, rss, count, total))
            if len(samples) % 10 == 0:
                largest_metadata = max(largest_metadata, metadata_size(server.data_dir))
                print(f"  t={now - started:5.0f}s commits={count:.0f} rss={rss:.0f}MB kills={kills}", flush=True)
            if count >= args.snapshots:
                break
            if now >= next_kill:
                # Counters restart with the process: carry them over.
                commits_before, seconds_before = count, total
                if sum(kills.values()) % 2 == 0:
                    kill_during_flush(server, rng, max_delay=0.3)
                    kills["flush"] += 1
                else:
                    log_offset = wait_for_compaction(home / "floe.log", log_offset, timeout=30)
                    time.sleep(rng.uniform(0.0, 0.3))
                    server.kill()
                    kills["compaction"] += 1
                server.start()
                next_kill = now + args.kill_every * rng.uniform(0.7, 1.3)
    finally:
        stop_clients(clients, stop, timeout=120)
    elapsed = time.monotonic() - started
    flush_until_empty(server, timeout=300)
    wait_for_maintenance(server)
    tables = {name: load_table(server.data_dir, name) for name in ("events", "cloudevents")}
    result = verdict(clients, tables)
    final_metadata = metadata_size(server.data_dir)
    largest_metadata = max(largest_metadata, final_metadata)
    server.stop()

    def per_minute(window):
        points = [s for s in samples if window[0] <= s[0] <= window[1]]
        if len(points) < 2 or points[-1][2] == points[0][2]:
            return None
        return (points[-1][3] - points[0][3]) / (points[-1][2] - points[0][2])

    first, last = (0, 60), (samples[-1][0] - 60, samples[-1][0])
    flush_first, flush_last = per_minute(first), per_minute(last)
    rss_first = statistics.median(s[1] for s in samples if s[0] <= 60)
    rss_last = statistics.median(s[1] for s in samples if s[0] >= last[0])
    scans = compare_scans(home / "data", home)
    report = {
        "commits": int(samples[-1][2]), "minutes": round(elapsed / 60, 1), "rate_events_s": args.rate,
        "acked_events": result.acked_events, "lost": len(result.lost), "duplicated": len(result.duplicated),
        "half_stored": len(result.half_stored), "kills": kills,
        "flush_ms_first_minute": round(1000 * flush_first, 1) if flush_first else None,
        "flush_ms_last_minute": round(1000 * flush_last, 1) if flush_last else None,
        "rss_mb_first_minute": round(rss_first), "rss_mb_last_minute": round(rss_last),
        "metadata_bytes_max": largest_metadata, "metadata_bytes_end": final_metadata,
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in scans.items()},
    }
    print(json.dumps(report))
    problems = []
    if not result.ok:
        problems.append(result.summary())
    if flush_first and flush_last and flush_last > 1.5 * flush_first:
        problems.append(f"flush duration grew {flush_last / flush_first:.2f}x")
    if rss_last > 1.25 * rss_first:
        problems.append(f"RSS grew {rss_last / rss_first:.2f}x")
    if largest_metadata >= 1_000_000:
        problems.append(f"metadata file reached {largest_metadata} bytes")
    for reader in ("duckdb", "pyiceberg"):
        if scans[f"{reader}_ratio"] > 2:
            problems.append(f"{reader} scan {scans[f'{reader}_ratio']:.2f}x the one-file-per-partition table")
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def wait_for_compaction(log: Path, offset: int, timeout: float) -> int:
    """Waits for a "compacting" line after `offset` in the log; returns the new offset."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log, "rb") as f:
            f.seek(offset)
            chunk = f.read()
        index = chunk.find(b"] compacting")
        if index >= 0:
            return offset + index + 1
        time.sleep(0.01)
    return offset


def wait_for_maintenance(server, timeout: float = 60.0) -> None:
    """Waits until a maintenance run started after now has finished."""
    since = dt.datetime.now(dt.timezone.utc)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = server.get("/debug/status").json().get("last_maintenance_at")
        if last and dt.datetime.fromisoformat(last.replace("Z", "+00:00")) > since + dt.timedelta(seconds=2.5):
            return
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())

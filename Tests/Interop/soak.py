#!/usr/bin/env python3
"""Soak: N minutes of mixed traffic against one Floe data directory, with flushes and periodic SIGKILLs.

    .venv/bin/python Tests/Interop/soak.py --minutes 30            # or `make soak SOAK_MINUTES=30`

Clients send Segment batches, single tracks, CloudEvents batches and re-sends of acknowledged requests
(retries whose answer was lost); Floe flushes every few seconds (ICEBERG_BUFFER_TIMEOUT_MS) and is SIGKILLed
every `--kill-every` seconds. Every second the script samples RSS and open fds of the process, the size of
buffer.db (+wal, shm) and of the data directory. At the end it flushes, compares every acknowledged event
with the tables, prints the figures, and exits 1 on any loss or duplication, or on unbounded growth:
RSS max > 2 × the median of the first minute + 100 MB, fds max > 2 × the first-minute median + 50.
Not collected by pytest (the file name does not start with test_).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from chaos import (ProcessProbe, buffer_db_size, flush_until_empty, kill_during_flush, start_clients,  # noqa: E402
                   stop_clients, tree_size, verdict)
from floe_server import FloeServer  # noqa: E402
from lake import load_table  # noqa: E402

REPO = HERE.parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=45.0, help="seconds between SIGKILLs (0: never)")
    parser.add_argument("--flush-ms", type=int, default=3000, help="ICEBERG_BUFFER_TIMEOUT_MS")
    parser.add_argument("--buffer-size", type=int, default=2000, help="ICEBERG_BUFFER_SIZE")
    parser.add_argument("--binary", default=os.environ.get("FLOE_BIN", str(REPO / ".build" / "debug" / "floe")))
    parser.add_argument("--dir", help="working directory (default: a new temporary one, kept)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dedup-keys", type=int, default=1_000_000,
                        help="FLOE_MAX_DEDUP_KEYS: small enough that the index fills (and its memory levels off) early")
    args = parser.parse_args()

    home = Path(args.dir or tempfile.mkdtemp(prefix="floe-soak-"))
    home.mkdir(parents=True, exist_ok=True)
    server = FloeServer(Path(args.binary), home / "data", home / "floe.log",
                        env={"ICEBERG_BUFFER_TIMEOUT_MS": str(args.flush_ms),
                             "ICEBERG_BUFFER_SIZE": str(args.buffer_size),
                             "FLOE_MAX_DEDUP_KEYS": str(args.dedup_keys)})
    # Re-sends model retries after a lost answer: they repeat one of the client's recent requests, few enough
    # (at 40 events per request at most) that every re-sent key is still inside the dedup window.
    resend_recent = max(100, args.dedup_keys // (args.clients * 40 * 2))
    print(f"soak: {args.minutes} min, {args.clients} clients, kill every {args.kill_every} s, "
          f"flush timeout {args.flush_ms} ms, dedup keys {args.dedup_keys} (re-sends from each client's last "
          f"{resend_recent} requests), binary {args.binary}, dir {home}", flush=True)
    server.start()
    stop = threading.Event()
    clients = start_clients(lambda: server.url, args.clients, stop, seed=args.seed * 100, batch=40,
                            kinds=("batch", "track", "cloudevents", "batch", "track"), duplicates=0.05, pause=0.01,
                            resend_recent=resend_recent)
    rng = random.Random(args.seed)
    samples: list[tuple[float, float, int, int, int]] = []  # (t, rss MB, fds, buffer.db bytes, data dir bytes)
    kills = 0
    started = time.monotonic()
    end = started + args.minutes * 60
    next_kill = started + args.kill_every if args.kill_every else float("inf")
    next_report = started + 30
    try:
        while time.monotonic() < end:
            time.sleep(1.0)
            now = time.monotonic()
            try:
                probe = ProcessProbe(server.process.pid)
                samples.append((now - started, probe.rss_mb(), probe.fds(), buffer_db_size(server.data_dir),
                                tree_size(server.data_dir)))
            except (FileNotFoundError, ProcessLookupError, RuntimeError):
                pass
            if now >= next_kill:
                if rng.random() < 0.5:
                    kill_during_flush(server, rng, max_delay=0.3)
                else:
                    server.kill()
                kills += 1
                server.start()
                next_kill = now + args.kill_every * rng.uniform(0.7, 1.3)
            if now >= next_report:
                t, rss, fds, db, data = samples[-1]
                acked = sum(len(r.ids) for c in clients for r in c.acked)
                print(f"  t={t:5.0f}s acked_events={acked} kills={kills} rss={rss:.0f}MB fds={fds} "
                      f"buffer.db={db / 1e6:.1f}MB data={data / 1e6:.1f}MB", flush=True)
                next_report = now + 30
    finally:
        stop_clients(clients, stop, timeout=120)
    flush_until_empty(server, timeout=300)
    tables = {name: load_table(server.data_dir, name) for name in ("events", "cloudevents")}
    result = verdict(clients, tables)
    server.stop()

    first = [s for s in samples if s[0] <= 60] or samples[:1]
    rss_base, fds_base = statistics.median(s[1] for s in first), statistics.median(s[2] for s in first)
    rss = [s[1] for s in samples]
    fds = [s[2] for s in samples]
    statuses: dict = {}
    for client in clients:
        for status, n in client.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    faults = {k: v for k, v in statuses.items() if k != 200}
    resent = sum(c.resent for c in clients)
    resent_keys = {i for c in clients for r in c.resent_requests for i in r.ids}
    duplicated_resent = sum(1 for k in result.duplicated if k in resent_keys)
    windows = []
    for start in range(0, int(samples[-1][0]) + 1 if samples else 0, 300):
        window = [s[1] for s in samples if start <= s[0] < start + 300]
        if window:
            windows.append(f"{start // 60}-{start // 60 + 5} min {statistics.median(window):.0f}/{max(window):.0f}")
    print(f"""
soak result after {(time.monotonic() - started) / 60:.1f} min:
  events acknowledged  {result.acked_events} in {result.acked_requests} requests (+{resent} re-sent duplicates), rows {result.rows}
  kills                {kills}
  faults injected      {kills} SIGKILLs; client-side failed attempts {faults}
  lost                 {len(result.lost)}
  duplicated           {len(result.duplicated)} ({duplicated_resent} of them from re-sent requests)
  half-stored          {len(result.half_stored)} of {result.unacked_requests} unacknowledged requests
  RSS MB               min {min(rss):.0f} max {max(rss):.0f} (first-minute median {rss_base:.0f})
  RSS MB median/max    {"; ".join(windows)}
  fds                  min {min(fds)} max {max(fds)} (first-minute median {fds_base:.0f})
  buffer.db(+wal) max  {max(s[3] for s in samples) / 1e6:.1f} MB
  data dir size        max {max(s[4] for s in samples) / 1e6:.1f} MB, end {tree_size(server.data_dir) / 1e6:.1f} MB
  working directory    {home}""")
    problems = []
    if not result.ok:
        problems.append(result.summary())
    if max(rss) > 2 * rss_base + 100:
        problems.append(f"RSS grew to {max(rss):.0f} MB (first-minute median {rss_base:.0f} MB)")
    if max(fds) > 2 * fds_base + 50:
        problems.append(f"fds grew to {max(fds)} (first-minute median {fds_base:.0f})")
    if result.acked_events == 0:
        problems.append("nothing was acknowledged")
    for problem in problems:
        print(f"SOAK FAILED: {problem}")
    if not problems:
        print("SOAK PASSED: lost = 0, duplicated = 0, growth bounded")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

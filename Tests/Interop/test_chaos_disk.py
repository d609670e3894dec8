"""Disk full: Floe's data directory (buffer.db, catalog.db, warehouse/) on a 24 MB tmpfs that a filler file fills.

While the disk is full Floe must answer 507 or 503 with Retry-After (never 500, never a dropped connection),
store nothing of a refused request, keep answering /health, survive a flush attempt and a SIGKILL + restart
on the full disk, and once the filler is deleted take traffic again without a restart. At the end every
acknowledged event is in its table exactly once, and buffer.db and catalog.db pass PRAGMA integrity_check.
"""
from __future__ import annotations

import sqlite3
import time
import uuid

import pytest
import requests

from chaos import MountError, fill, flush_until_empty, key_counts, small_filesystem, wait_until
from corpus import batch_bodies, generate
from lake import load_table

FS_MB = 24
LEAVE_BYTES = 1_500_000
FULL_STATUSES = {503, 507}


class Sender:
    """Sends /v1/batch requests of fresh events one at a time and remembers which were acknowledged."""

    def __init__(self, server, seed: int):
        self.server = server
        self.pool = generate(200, seed=seed)
        self.acked: list[str] = []
        self.refused: list[str] = []
        self.statuses: dict = {}

    def send(self, size: int = 50) -> int | str:
        events = [dict(e, messageId=str(uuid.uuid4())) for e in self.pool[:size]]
        (_, body), = batch_bodies(events, size)
        ids = [e["messageId"] for e in events]
        try:
            response = self.server.http.post(self.server.url + "/v1/batch", data=body, timeout=30,
                                             headers={"Content-Type": "application/json"})
        except requests.RequestException as error:
            status = type(error).__name__
        else:
            status = response.status_code
            if status in FULL_STATUSES:
                assert response.headers.get("Retry-After", "").isdigit(), \
                    f"{status} without Retry-After: {dict(response.headers)}"
        self.statuses[status] = self.statuses.get(status, 0) + 1
        (self.acked if status == 200 else self.refused).extend(ids)
        return status


def integrity(path) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def test_a_full_disk_answers_507_and_recovers_without_loss(floe, tmp_path):
    mount_point = tmp_path / "small"
    try:
        context = small_filesystem(mount_point, FS_MB)
        context.__enter__()
    except MountError as error:
        pytest.skip(f"cannot mount a small filesystem for the data directory here: {error}")
    try:
        server = floe(env={"ICEBERG_BUFFER_TIMEOUT_MS": "200"}, data_dir=mount_point / "data")
        sender = Sender(server, seed=61)
        for _ in range(10):
            assert sender.send() == 200
        server.flush()  # tables exist, catalog.db and warehouse/ hold something

        filler = mount_point / "filler"
        fill(filler, LEAVE_BYTES)
        full_answers = 0
        deadline = time.monotonic() + 60
        while full_answers < 30 and time.monotonic() < deadline:
            status = sender.send()
            assert status in {200} | FULL_STATUSES, f"disk full: got {status} ({sender.statuses})"
            full_answers += status in FULL_STATUSES
        assert full_answers >= 30, f"the disk never filled up: {sender.statuses}"
        assert server.running and server.get("/health").status_code == 200
        # A load balancer's probe sees it too (it used to answer 200 while every event got 507), so that clients go
        # to instances that take events.
        if sender.statuses.get(507):
            ready = server.get("/health/ready?for=ingest")
            assert ready.status_code == 503 and "disk is full" in ready.text, (ready.status_code, ready.text)

        flushed = server.post("/debug/flush")
        print(f"flush on a full disk: {flushed.status_code} {flushed.text[:300]}")
        assert flushed.status_code in (200, 503, 507), f"flush on a full disk: {flushed.status_code} {flushed.text}"
        assert server.running and server.get("/health").status_code == 200

        server.restart("kill")  # start-up on a full disk: recovery, WAL replay
        for _ in range(5):
            status = sender.send()
            assert status in {200} | FULL_STATUSES, f"after a restart on a full disk: {status} ({sender.statuses})"
        assert server.get("/health").status_code == 200

        filler.unlink()
        wait_until(lambda: sender.send() == 200, 30, "a 200 once the disk has room again", interval=0.2)
        for _ in range(20):
            status = sender.send()
            assert status == 200, f"disk has room again: {status} ({sender.statuses})"
        assert server.get("/health/ready?for=ingest").status_code == 200
        flush_until_empty(server)

        counts = key_counts(load_table(server.data_dir, "events"), "message_id")
        lost = [i for i in sender.acked if counts[i] != 1]
        stored_refused = [i for i in sender.refused if counts[i]]
        print(f"statuses={sender.statuses} acked={len(sender.acked)} refused={len(sender.refused)} "
              f"rows={sum(counts.values())}")
        assert not lost, f"{len(lost)} acknowledged events not stored exactly once, e.g. {lost[:5]}"
        assert not stored_refused, f"{len(stored_refused)} events of refused requests were stored"
        assert sum(counts.values()) == len(sender.acked)
        assert server.stop() == 0
        for name in ("buffer.db", "catalog.db"):
            assert integrity(server.data_dir / name) == "ok", f"{name} is corrupt"
    finally:
        for s in list(getattr(floe, "servers", [])):
            s.stop()
        context.__exit__(None, None, None)

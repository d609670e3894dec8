"""Crash safety: SIGKILL at random moments under load, then every acknowledged event is in the table once.

Client threads send /v1/batch requests continuously, retrying a failed batch with the same
messageIds as an SDK would. Floe flushes small partitions every few hundred milliseconds, so
kills land during appends, flushes, uploads and commits. At the end:
- every event of a batch that got a 200 is in the table exactly once (0 lost, 0 duplicated);
- a batch that never got a 200 is in the table completely or not at all (never half-stored).
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter

import requests

from corpus import batch_bodies, generate
from lake import load_table, pyiceberg_rows

KILLS = 12
CLIENTS = 3
BATCH = 50


class Loader(threading.Thread):
    """Sends batches of fresh events to whatever port the server currently listens on."""

    def __init__(self, server, seed: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.server, self.stop, self.seed = server, stop, seed
        self.acked: list[list[str]] = []
        self.unacked: list[list[str]] = []
        self.http = requests.Session()

    def run(self) -> None:
        rng = random.Random(self.seed)
        base = generate(400, seed=self.seed)
        while not self.stop.is_set():
            events = [dict(e, messageId=str(uuid.UUID(int=rng.getrandbits(128)))) for e in rng.sample(base, BATCH)]
            (chunk, body), = batch_bodies(events, BATCH)
            ids = [e["messageId"] for e in chunk]
            for _attempt in range(40):
                try:
                    response = self.http.post(self.server.url + "/v1/batch", data=body,
                                              headers={"Content-Type": "application/json"}, timeout=10)
                    if response.status_code == 200:
                        self.acked.append(ids)
                        break
                except (requests.RequestException, AssertionError):
                    pass
                time.sleep(0.05)
            else:
                self.unacked.append(ids)


def test_sigkill_under_load_loses_and_duplicates_nothing(floe):
    server = floe(env={"ICEBERG_BUFFER_SIZE": "300", "ICEBERG_BUFFER_TIMEOUT_MS": "200"})
    stop = threading.Event()
    loaders = [Loader(server, seed, stop) for seed in range(CLIENTS)]
    for loader in loaders:
        loader.start()
    rng = random.Random(7)
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.2, 1.2))
        server.kill()
        time.sleep(rng.uniform(0.0, 0.3))
        server.start()
    time.sleep(1.0)
    stop.set()
    for loader in loaders:
        loader.join(60)
    server.flush()

    counts = Counter(row["message_id"] for row in pyiceberg_rows(load_table(server.data_dir, "events")))
    acked = [ids for loader in loaders for ids in loader.acked]
    unacked = [ids for loader in loaders for ids in loader.unacked]
    acked_ids = [i for ids in acked for i in ids]
    assert len(acked) > 20 * KILLS / 4, f"too little traffic got through: {len(acked)} batches"
    lost = [i for i in acked_ids if counts[i] == 0]
    duplicated = [i for i, n in counts.items() if n > 1]
    half = [ids for ids in unacked if 0 < sum(1 for i in ids if counts[i]) < len(ids)]
    known = set(acked_ids) | {i for ids in unacked for i in ids}
    unknown = [i for i in counts if i not in known]
    print(f"kills={KILLS} acked_batches={len(acked)} acked_events={len(acked_ids)} unacked_batches={len(unacked)} "
          f"rows={sum(counts.values())} lost={len(lost)} duplicated={len(duplicated)}")
    assert not lost, f"{len(lost)} acknowledged events missing, e.g. {lost[:5]}"
    assert not duplicated, f"{len(duplicated)} events stored more than once, e.g. {duplicated[:5]}"
    assert not half, f"{len(half)} unacknowledged batches half-stored"
    assert not unknown, f"{len(unknown)} rows nobody sent"

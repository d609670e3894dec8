"""Storage faults under live traffic: Floe's warehouse is `s3://bucket/lake` on moto (SigV4 enforced) behind
s3_support.FaultProxy, which answers a share of requests with 503 SlowDown or 500, drops connections before or
after moto applied the request, answers only half of a body, stalls, or adds latency. Floe flushes every few
hundred milliseconds and is SIGKILLed during three flushes. Every flush must still commit exactly once: every
acknowledged event is in its table once, floe.commit-ids are unique, and the data files hold exactly the rows.
"""
from __future__ import annotations

import random
import threading
import time

from pyiceberg.catalog.sql import SqlCatalog

from chaos import assert_snapshot_chain, flush_until_empty, kill_during_flush, start_clients, stop_clients, verdict
from s3_support import FaultProxy

FAULTS = [  # (action, share of requests)
    ("503", 0.10), ("500", 0.03), ("drop", 0.04), ("forward-then-drop", 0.04), ("partial", 0.05),
    ("delay", 0.10), ("stall", 0.005),
]
FAULT_SECONDS = 20.0
KILLS = 3


class Plan:
    """Picks a fault for each request while `enabled`, from a seeded generator."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.enabled = True

    def __call__(self, seq: int, method: str, path: str) -> str:
        if not self.enabled:
            return "forward"
        x = self.rng.random()
        for action, share in FAULTS:
            if action == "partial" and method != "GET":
                continue
            if x < share:
                return action
            x -= share
        return "forward"


def test_s3_faults_still_commit_every_flush_exactly_once(floe, moto):
    bucket = moto.new_bucket()
    plan = Plan(seed=5)
    proxy = FaultProxy(moto.port, plan).start()
    try:
        server = floe(env={"FLOE_WAREHOUSE": f"s3://{bucket}/lake", "AWS_ACCESS_KEY_ID": moto.access_key_id,
                           "AWS_SECRET_ACCESS_KEY": moto.secret_access_key, "AWS_REGION": "us-east-1",
                           "AWS_ENDPOINT_URL_S3": proxy.endpoint,
                           "ICEBERG_BUFFER_SIZE": "200", "ICEBERG_BUFFER_TIMEOUT_MS": "300"})
        stop = threading.Event()
        clients = start_clients(lambda: server.url, 3, stop, seed=500, batch=25, kinds=("batch", "cloudevents"),
                                pause=0.02)
        rng = random.Random(9)
        started = time.monotonic()
        for _ in range(KILLS):
            time.sleep(FAULT_SECONDS / (KILLS + 1))
            kill_during_flush(server, rng, max_delay=0.5)
            server.start()
        time.sleep(max(0.0, started + FAULT_SECONDS - time.monotonic()))
        stop_clients(clients, stop)
        plan.enabled = False
        flush_until_empty(server)
    finally:
        proxy.stop()

    catalog = SqlCatalog("floe", uri=f"sqlite:///{server.data_dir}/catalog.db", warehouse=f"s3://{bucket}/lake",
                         **{"s3.endpoint": moto.endpoint, "s3.access-key-id": moto.access_key_id,
                            "s3.secret-access-key": moto.secret_access_key, "s3.region": "us-east-1"})
    tables = {name: catalog.load_table(f"analytics.{name}") for name in ("events", "cloudevents")}
    result = verdict(clients, tables)
    chains = {name: assert_snapshot_chain(table, require_commit_ids=True) for name, table in tables.items()}
    faults = {a: n for a, n in proxy.actions().items() if a != "forward"}
    print(f"kills={KILLS} {result.summary()} s3_faults={faults} chains={chains}")
    result.assert_ok()
    assert sum(faults.values()) >= 20, f"too few faults were injected: {faults}"
    assert chains["events"]["floe_commits"] >= 5, chains

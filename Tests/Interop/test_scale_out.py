"""Scale-out (docs/scaling.md): three `floe serve` instances behind HAProxy from Debian, running
Config/haproxy.example.cfg as shipped (only its listen port and server addresses rewritten), committing to one
Iceberg REST catalog (rest_catalog_server.py) with the data on S3 (moto, SigV4 enforced).

Six clients, each from its own loopback address (so `balance source` spreads them), send batches through
HAProxy and retry every request until it is acknowledged, while a random instance is SIGKILLed and restarted
20 times. At the end every acknowledged event is in the table, events acknowledged on their first attempt
exactly once; an event is allowed twice only when an attempt of its request got no answer (the one case
docs/scaling.md names); conflicts retried are counted; the snapshot summaries name all three instances.
Then `floe maintain --remove-duplicates` deletes the copies, and every acknowledged event is there once.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest

from floe_server import FloeLauncher, free_port
from scale_out_support import catalog_on_s3, haproxy_config

INSTANCES = ("floe-a", "floe-b", "floe-c")
KILLS = 20
CLIENTS = 6
BATCH = 20


class Client(threading.Thread):
    """Sends batches from its own source address until stopped; every request is retried until answered 200."""

    def __init__(self, index: int, port: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.source, self.port, self.stop = f"127.0.0.{10 + index}", port, stop
        self.acked: list[str] = []
        self.unanswered: set[str] = set()  # ids of requests with an attempt that may have been stored
        self.attempts = Counter()
        self.failure: str | None = None

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=15, source_address=(self.source, 0))

    def run(self) -> None:
        conn = self.connection()
        while not self.stop.is_set():
            ids = [f"{self.source}-{uuid.uuid4().hex}" for _ in range(BATCH)]
            body = json.dumps({"batch": [{"type": "track", "userId": self.source, "event": "Scaled", "messageId": m,
                                          "properties": {"n": i}} for i, m in enumerate(ids)]}).encode()
            deadline = time.monotonic() + 120
            while True:
                try:
                    conn.request("POST", "/v1/batch", body, {"Content-Type": "application/json"})
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    status = None
                    conn.close()
                    conn = self.connection()
                self.attempts[status] += 1
                if status == 200:
                    self.acked += ids
                    break
                # 503 (HAProxy: no instance up; Floe: refused) and 429 stored nothing; anything else might have.
                if status not in (503, 429):
                    self.unanswered.update(ids)
                if time.monotonic() > deadline:
                    self.failure = f"a request was not acknowledged within 120 s (last status {status})"
                    return
                time.sleep(0.2)
            time.sleep(0.02)


@pytest.fixture
def moto(tmp_path_factory):
    from s3_support import start_moto
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


def test_three_instances_behind_haproxy_survive_twenty_kills_exactly_once(floe_launcher: FloeLauncher, tmp_path,
                                                                            moto):
    haproxy = shutil.which("haproxy")
    assert haproxy, "HAProxy is not installed (make interop installs Debian's haproxy package)"
    rest, env = catalog_on_s3(moto, tmp_path / "rest")
    # Flush often, so the three commit to the same table at the same time.
    env.update({"ICEBERG_BUFFER_TIMEOUT_MS": "700", "ICEBERG_BUFFER_SIZE": "400", "FLOE_DRAIN_DELAY_MS": "1000"})
    servers = []
    for name in INSTANCES:
        server = floe_launcher.new(name, env={**env, "FLOE_INSTANCE_ID": name})
        server.fixed_port = free_port()
        servers.append(server.start())
    listen = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(listen, [s.fixed_port for s in servers]))
    proxy = subprocess.Popen([haproxy, "-f", str(config)], stdout=(tmp_path / "haproxy.log").open("wb"),
                             stderr=subprocess.STDOUT)
    stop = threading.Event()
    clients = [Client(i, listen, stop) for i in range(CLIENTS)]
    try:
        time.sleep(1.5)  # health checks mark the instances up
        assert proxy.poll() is None, (tmp_path / "haproxy.log").read_text()
        for client in clients:
            client.start()
        rng = random.Random(7)
        started = time.monotonic()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.8, 1.8))
            victim = rng.choice(servers)
            victim.kill()
            time.sleep(rng.uniform(0.1, 0.8))
            victim.start()
        time.sleep(2.0)
        stop.set()
        for client in clients:
            client.join(timeout=150)
        elapsed = time.monotonic() - started
        failures = [c.failure for c in clients if c.failure]
        assert not failures, failures
        for server in servers:
            server.flush()
        # A graceful stop of each: its final flush commits the rest within the shutdown bound.
        for server in servers:
            assert server.stop() == 0
    finally:
        stop.set()
        proxy.terminate()
        proxy.wait(timeout=10)
        for server in servers:
            server.kill()  # a no-op for those already stopped; none is left behind when the test fails

    table = rest.catalog.load_table("analytics.events")
    stored = Counter(table.scan(selected_fields=("message_id",)).to_arrow().column("message_id").to_pylist())
    acked = [m for c in clients for m in c.acked]
    unanswered = set().union(*(c.unanswered for c in clients))
    missing = [m for m in acked if stored[m] == 0]
    twice = {m for m, n in stored.items() if n > 1}
    first_time = [m for m in acked if m not in unanswered]
    summaries = [s.summary.additional_properties for s in table.metadata.snapshots]
    writers = Counter(s.get("floe.instance-id") for s in summaries)
    retries = sum(server.log_path.read_text().count("commit failed, retrying") for server in servers)
    attempts = sum((c.attempts for c in clients), Counter())
    print(f"scale-out: {len(acked)} events acknowledged in {elapsed:.0f} s ({len(acked) / elapsed:.0f} events/s), "
          f"{KILLS} kills, attempts {dict(attempts)}, {len(unanswered)} events in requests without an answer, "
          f"{len(twice)} stored twice, {len(table.metadata.snapshots)} snapshots by {dict(writers)}, "
          f"{retries} commits retried after a conflict or an unknown outcome")

    # The copies a lost answer caused are removed later, through the same catalog and bucket.
    maintain = subprocess.run([str(floe_launcher.binary), "maintain", "--remove-duplicates", "--data-dir",
                               str(tmp_path / "maintain")], env={**os.environ, **env},
                              capture_output=True, text=True, timeout=300)
    assert maintain.returncode == 0, maintain.stderr[-3000:]
    removed = {entry["table"]: entry for entry in json.loads(maintain.stdout.strip().splitlines()[-1])}
    after = Counter(rest.catalog.load_table("analytics.events").scan(selected_fields=("message_id",))
                    .to_arrow().column("message_id").to_pylist())
    print(f"scale-out: floe maintain --remove-duplicates deleted {removed['events']['duplicates_removed']} copies")
    rest.stop()

    assert len(acked) > 1000, "too little traffic to mean anything"
    assert not missing, f"{len(missing)} acknowledged events are missing, e.g. {missing[:3]}"
    assert not [m for m in first_time if stored[m] != 1], "an event acknowledged on its first attempt is not there once"
    assert twice <= unanswered, f"stored twice without a lost answer: {sorted(twice - unanswered)[:3]}"
    assert set(stored) == set(acked), "rows that no client had acknowledged"
    assert set(writers) == set(INSTANCES), f"snapshot summaries name {dict(writers)}"
    assert removed["events"]["duplicates_removed"] == sum(stored.values()) - len(stored)
    assert set(after) == set(acked) and max(after.values()) == 1, "an event is still there twice after the removal"
    assert sum(s.starts for s in servers) == len(INSTANCES) + KILLS


def test_the_balancer_serves_ingest_and_health_only_and_forwards_the_client_address(floe_launcher: FloeLauncher,
                                                                                     tmp_path):
    """The shipped config: ingest routes and `/health` go through; `/debug` and `/metrics` do not, however the path
    is spelled (Floe's router reads `//debug/status` as `/debug/status`); and behind it, with `FLOE_TRUST_PROXY`,
    an event's `context.ip` is the client's address, not HAProxy's nor one the client wrote."""
    haproxy = shutil.which("haproxy")
    assert haproxy, "HAProxy is not installed (make interop installs Debian's haproxy package)"
    server = floe_launcher.new("behind", env={"FLOE_TRUST_PROXY": "true"})
    server.fixed_port = free_port()
    server.start()
    listen = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(listen, [server.fixed_port]))
    proxy = subprocess.Popen([haproxy, "-f", str(config)], stdout=(tmp_path / "haproxy.log").open("wb"),
                             stderr=subprocess.STDOUT)

    def status(method: str, path: str, body: bytes | None = None, source: str = "127.0.0.1",
               headers: dict | None = None) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", listen, timeout=30, source_address=(source, 0))
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
            return connection.getresponse().status
        finally:
            connection.close()

    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if status("GET", "/health/ready") == 200:
                    break
            except OSError:
                pass  # HAProxy not listening yet
            assert proxy.poll() is None and time.monotonic() < deadline, (tmp_path / "haproxy.log").read_text()
            time.sleep(0.2)
        assert status("GET", "/health") == 200
        for path in ["/debug/status", "//debug/status", "/debug//status", "/./debug/status", "/%64ebug/status",
                     "/metrics", "//metrics", "/metrics/", "/DEBUG/status"]:
            assert status("GET", path) == 403, path
            assert status("POST", path.replace("status", "flush"), b"") == 403, path
        assert server.get("/debug/status").status_code == 200, "an instance itself still serves operators"

        message_id = f"lb-{uuid.uuid4()}"
        event = {"type": "track", "event": "Via LB", "userId": "u", "messageId": message_id}
        assert status("POST", "/v1/track", json.dumps(event).encode(), source="127.0.0.23",
                      headers={"X-Forwarded-For": "6.6.6.6"}) == 200
        server.flush()
        from api import rows_with_keys
        from tables import EVENTS
        [row] = rows_with_keys(server, EVENTS, [message_id])
        assert json.loads(row["context"])["ip"] == "127.0.0.23", row["context"]
    finally:
        proxy.terminate()
        proxy.wait(10)
        server.stop()  # started outside the `floe` factory, which stops its own servers

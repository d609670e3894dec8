"""Backpressure as a last resort: when flushing falls behind, every ingest request gets 503 with Retry-After
(early and evenly, whatever its partition), refusals are counted in /metrics by reason and logged once a
second with a count; below the backlog limit nothing is refused. docs/guarantees.md "Limits"."""
from __future__ import annotations

import re
import time

from api import assert_accepted, assert_error, dumps, retry_after, segment_message

REFUSED_LINE = "requests refused at capacity"
# The catalog below never answers, so the final flush at shutdown cannot commit: a short shutdown timeout
# stops the server at the end of the test without waiting out the default 25 s.
UNREACHABLE_CATALOG_SHUTDOWN = {"FLOE_SHUTDOWN_TIMEOUT_MS": "1000"}


def track_batch(count: int, hour: int = 6) -> list[dict]:
    return [segment_message("track", timestamp=f"2026-11-25T{hour:02d}:{i % 60:02d}:00Z") for i in range(count)]


def status(server) -> dict:
    response = server.get("/debug/status")
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def refused_metric(server, reason: str) -> float:
    text = server.get("/metrics").text
    match = re.search(r'^floe_requests_refused_total\{reason="%s"\} (\S+)$' % reason, text, re.M)
    return float(match.group(1)) if match else 0.0


def test_a_flush_backlog_refuses_every_partition_with_503_counted_and_logged_once_a_second(floe):
    # A catalog that refuses connections: every flush fails, so what is due stays due.
    server = floe(env={"R2_CATALOG_ENDPOINT": "http://127.0.0.1:9", "FLOE_MAX_BACKLOG_EVENTS": "20",
                       "ICEBERG_BUFFER_SIZE": "5", **UNREACHABLE_CATALOG_SHUTDOWN})
    for _ in range(5):
        assert_accepted(server.post("/v1/batch", dumps({"batch": track_batch(5)})), count=5)
    backlog = wait_for(lambda: status(server)["due_events"] >= 25 and status(server), what="the due backlog")
    assert backlog["max_backlog_events"] == 20, backlog

    started = time.monotonic()
    refused = 0
    # Every partition and route is refused alike, not only the one that is behind.
    for body, path, kind in [({"batch": track_batch(3, hour=9)}, "/v1/batch", None),
                             (segment_message("identify"), "/v1/identify", None),
                             ({"batch": [segment_message("page")]}, "/v1/import", None)] * 10:
        response = server.post(path, dumps(body))
        assert_error(response, 503, "backlog")
        assert 1 <= retry_after(response) <= 30
        refused += 1
    elapsed = time.monotonic() - started
    assert status(server)["buffered_count"] == 25, "a refused request stored something"
    assert refused_metric(server, "backlog") == refused

    # Logged once a second at most, with the count; never a line per request.
    time.sleep(1.2)  # the scheduler writes the last pending count within a second
    log = server.log_tail(200_000)
    lines = [line for line in log.splitlines() if REFUSED_LINE in line]
    assert 1 <= len(lines) <= int(elapsed) + 2, lines
    counts = [int(m.group(1)) for line in lines for m in [re.search(r"floe\.refused=(\d+)", line)] if m]
    assert sum(counts) == refused, lines
    assert not [line for line in log.splitlines() if "request failed" in line and "503" in line], \
        "refusals were logged one line per request"


def test_below_the_backlog_limit_nothing_is_refused_and_the_partition_cap_is_the_last_resort(floe):
    server = floe(env={"R2_CATALOG_ENDPOINT": "http://127.0.0.1:9", "FLOE_MAX_BACKLOG_EVENTS": "1000",
                       "ICEBERG_BUFFER_SIZE": "5", "FLOE_MAX_PARTITION_EVENTS": "30",
                       **UNREACHABLE_CATALOG_SHUTDOWN})
    for _ in range(6):
        assert_accepted(server.post("/v1/batch", dumps({"batch": track_batch(5)})), count=5)
    wait_for(lambda: status(server)["due_events"] >= 30, what="the due backlog")
    # The backlog (30) is below its limit; only the one full partition answers 507.
    assert_error(server.post("/v1/batch", dumps({"batch": track_batch(1)})), 507, "partition")
    assert_accepted(server.post("/v1/batch", dumps({"batch": track_batch(5, hour=10)})), count=5)
    assert refused_metric(server, "partition_full") == 1
    assert refused_metric(server, "backlog") == 0

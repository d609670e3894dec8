"""The rest of the HTTP contract (docs/design.md §2, §3): compressed bodies, batch-level fields, generated message
ids, `context.ip`, retries, short paths, `/v1/import`, CORS, health, metrics, debug routes, and SIGTERM.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import sqlite3
import signal
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import (LOOPBACK, SEGMENT_TYPES, SHORT_PATHS, as_stored, assert_accepted, assert_error, assert_stored, deflated,
                 dumps, gzipped, rows_with_keys, segment_message, table_rows, unique)
from corpus import CLOUDEVENTS_JSON, Window, micros
from floe_server import FloeLauncher, FloeServer
from lake import load_table, local_path
from tables import CLOUDEVENTS, EVENTS


@pytest.fixture(scope="module")
def server(floe_launcher: FloeLauncher):
    server = floe_launcher.new("misc").start()
    yield server
    server.stop()


# ---------------------------------------------------------------------- compressed bodies


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "deflate-raw"])
@pytest.mark.parametrize("path", ["/v1/batch", "/v1/track", "/events/batch"])
def test_compressed_bodies_are_accepted(server: FloeServer, path: str, encoding: str):
    if path == "/events/batch":
        sent = [{"specversion": "1.0", "id": unique("z"), "source": "/zip", "type": "com.example.zip", "data": {"n": 1}}]
        body = dumps(sent)
    else:
        sent = [segment_message("track", properties={"text": "compressible " * 200})]
        body = dumps({"batch": sent} if path == "/v1/batch" else sent[0])
        sent = [as_stored(m) for m in sent]
    wire = gzipped(body) if "gzip" in encoding else deflated(body, raw=encoding == "deflate-raw")
    header = "deflate" if encoding == "deflate-raw" else encoding
    window = Window.open()
    assert_accepted(server.post(path, wire, headers={"Content-Encoding": header}), count=1)
    window.close()
    assert_stored(server, sent, window)


def test_identity_content_encoding_is_plain(server: FloeServer):
    message = segment_message("track")
    assert_accepted(server.post("/v1/batch", dumps({"batch": [message]}), headers={"Content-Encoding": "identity"}))


# ---------------------------------------------------------------------- Segment semantics


def test_batch_level_context_integrations_and_sent_at_are_merged(server: FloeServer):
    batch_fields = {"context": {"app": {"name": "shop"}, "locale": "fr-FR", "ip": "203.0.113.9"},
                    "integrations": {"All": False, "Mixpanel": True}, "sentAt": "2026-11-20T10:16:00.000Z"}
    own_context = segment_message("track", context={"locale": "de-DE", "page": {"path": "/"}},
                                  integrations={"Amplitude": True}, sentAt="2026-11-20T10:15:59.000Z")
    bare = segment_message("identify", context=None, integrations=None)  # no such members
    nulls = {**segment_message("page", name="Home"), "context": None, "integrations": None}  # null counts as absent
    window = Window.open()
    assert_accepted(server.post("/v1/batch", dumps({"batch": [own_context, bare, nulls], **batch_fields})), count=3)
    window.close()
    sent = [as_stored(m, batch=batch_fields) for m in (own_context, bare, nulls)]
    # The message's own members win; absent ones come from the batch.
    assert sent[0]["context"] == {"locale": "de-DE", "page": {"path": "/"}, "app": {"name": "shop"},
                                  "ip": "203.0.113.9"}
    assert sent[0]["integrations"] == {"Amplitude": True} and sent[0]["sentAt"] == "2026-11-20T10:15:59.000Z"
    assert sent[1]["integrations"] == batch_fields["integrations"] and sent[1]["sentAt"] == batch_fields["sentAt"]
    assert sent[2]["integrations"] == batch_fields["integrations"]
    assert sent[2]["context"] == batch_fields["context"]
    assert_stored(server, sent, window)


def test_the_clock_skew_correction_uses_sent_at(server: FloeServer):
    """timestamp = received_at - (sent_at - timestamp): a client clock 1 h fast still lands at the right time."""
    message = segment_message("track", timestamp="2026-11-20T11:00:00Z", sentAt="2026-11-20T11:00:05Z")
    window = Window.open()
    assert_accepted(server.post("/v1/track", dumps(message)))
    window.close()
    [row] = assert_stored(server, [as_stored(message)], window)
    assert row["received_at"] - row["timestamp"] == 5_000_000


def test_rudderstack_original_timestamp_is_the_event_time(server: FloeServer):
    """RudderStack's JavaScript and mobile SDKs send `originalTimestamp` (and `sentAt`), not `timestamp`: it is the
    event time, skew-corrected the same way. Beside a `timestamp` (an event that already went through Segment or
    RudderStack, whose servers set `timestamp = receivedAt - (sentAt - originalTimestamp)`), the `timestamp` is the
    corrected time and stands as sent, and `originalTimestamp` is the device's time."""
    rudder = {"type": "track", "event": "Product Viewed", "anonymousId": unique("anon"), "messageId": unique("rs"),
              "channel": "web", "rudderId": unique("rid"), "properties": {"sku": "a"}, "integrations": {"All": True},
              "context": {"library": {"name": "RudderLabs JavaScript SDK", "version": "3.11.0"}},
              "originalTimestamp": "2026-11-20T11:00:00.000Z", "sentAt": "2026-11-20T11:00:05.000Z"}
    both = segment_message("track", timestamp="2026-11-20T09:00:00Z", originalTimestamp="2026-11-20T08:00:00Z")
    # Forwarded from Segment: the device clock 1 h fast, its times in originalTimestamp and sentAt, timestamp corrected.
    forwarded = segment_message("track", originalTimestamp="2026-11-20T13:00:00.000Z",
                                sentAt="2026-11-20T13:00:05.000Z", timestamp="2026-11-20T12:00:00.000Z",
                                receivedAt="2026-11-20T12:00:05.000Z")
    keys = [m["messageId"] for m in (rudder, both, forwarded)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": [rudder, both, forwarded]})), count=3)
    server.flush()
    rows = {r["message_id"]: r for r in rows_with_keys(server, EVENTS, keys)}
    row = rows[rudder["messageId"]]
    assert row["original_timestamp"] == micros(rudder["originalTimestamp"])
    assert row["received_at"] - row["timestamp"] == 5_000_000
    assert rows[both["messageId"]]["timestamp"] == micros("2026-11-20T09:00:00Z")
    assert rows[both["messageId"]]["original_timestamp"] == micros("2026-11-20T08:00:00Z")
    # Not corrected a second time (that would put it at 11:00, in another hour's partition).
    assert rows[forwarded["messageId"]]["timestamp"] == micros("2026-11-20T12:00:00Z")
    assert rows[forwarded["messageId"]]["original_timestamp"] == micros("2026-11-20T13:00:00Z")
    assert rows[forwarded["messageId"]]["sent_at"] == micros("2026-11-20T13:00:05Z")
    assert_error(server.post("/v1/track", dumps({**rudder, "originalTimestamp": "yesterday"})), 400, "originalTimestamp")
    # Beside a timestamp it is stored too, so it must be a time as well.
    assert_error(server.post("/v1/track", dumps({**both, "messageId": unique("m"), "originalTimestamp": "?"})), 400,
                 "originalTimestamp")


def test_a_message_id_is_generated_when_absent(server: FloeServer):
    user = unique("no-message-id")
    message = segment_message("track", userId=user, messageId=None)
    assert_accepted(server.post("/v1/batch", dumps({"batch": [message, dict(message)]})), count=2)
    server.flush()
    rows = [row for row in table_rows(server, EVENTS) if row["user_id"] == user]
    assert len(rows) == 2, "without a messageId nothing is deduplicated"
    ids = [row["message_id"] for row in rows]
    assert all(ids) and ids[0] != ids[1], ids
    for generated in ids:
        assert len(generated) == 36 and generated.count("-") == 4, f"not a UUID: {generated}"


def test_context_ip_is_filled_from_the_connection(server: FloeServer):
    with_ip = segment_message("track", context={"ip": "198.51.100.7"})
    without = segment_message("track")
    no_context = segment_message("page", context=None)
    forwarded = segment_message("track")
    assert_accepted(server.post("/v1/batch", dumps({"batch": [with_ip, without, no_context]})))
    # Not behind a trusted proxy: X-Forwarded-For is ignored.
    assert_accepted(server.post("/v1/track", dumps(forwarded), headers={"X-Forwarded-For": "192.0.2.44"}))
    server.flush()
    rows = {r["message_id"]: json.loads(r["context"]) for r in
            rows_with_keys(server, EVENTS, [m["messageId"] for m in (with_ip, without, no_context, forwarded)])}
    assert rows[with_ip["messageId"]]["ip"] == "198.51.100.7", "an ip the client sent is kept"
    assert rows[without["messageId"]]["ip"] == LOOPBACK
    assert rows[no_context["messageId"]] == {"ip": LOOPBACK}
    assert rows[forwarded["messageId"]]["ip"] == LOOPBACK


def test_context_ip_comes_from_x_forwarded_for_behind_a_trusted_proxy(floe):
    """Behind one trusted proxy the client is the address the proxy appended (the rightmost entry), not one the
    client wrote in X-Forwarded-For or CF-Connecting-IP; `trust_proxy: 2` trusts a chain of two."""
    server = floe(env={"FLOE_TRUST_PROXY": "true"})
    forged, plain, cloudflare = segment_message("track"), segment_message("track"), segment_message("track")
    assert_accepted(server.post("/v1/track", dumps(forged), headers={"X-Forwarded-For": "6.6.6.6, 192.0.2.44"}))
    assert_accepted(server.post("/v1/track", dumps(plain)))
    assert_accepted(server.post("/v1/track", dumps(cloudflare), headers={"CF-Connecting-IP": "7.7.7.7",
                                                                        "X-Forwarded-For": "192.0.2.45"}))
    server.flush()
    ips = {r["message_id"]: json.loads(r["context"])["ip"] for r in
           rows_with_keys(server, EVENTS, [forged["messageId"], plain["messageId"], cloudflare["messageId"]])}
    assert ips == {forged["messageId"]: "192.0.2.44", plain["messageId"]: LOOPBACK,
                   cloudflare["messageId"]: "192.0.2.45"}

    server.stop()
    server.start(env={"FLOE_TRUST_PROXY": "2"})
    chained = segment_message("track")
    assert_accepted(server.post("/v1/track", dumps(chained),
                                headers={"X-Forwarded-For": "6.6.6.6, 2001:db8::1, 203.0.113.9"}))
    server.flush()
    [row] = rows_with_keys(server, EVENTS, [chained["messageId"]])
    assert json.loads(row["context"])["ip"] == "2001:db8::1"


def test_a_retried_batch_is_stored_once(server: FloeServer):
    batch = [segment_message(kind) for kind in SEGMENT_TYPES]
    window = Window.open()
    first = assert_accepted(server.post("/v1/batch", dumps({"batch": batch})), count=6)
    retry = assert_accepted(server.post("/v1/batch", dumps({"batch": batch})), count=6)
    overlap = assert_accepted(server.post("/v1/batch", dumps({"batch": batch[:2] + [batch[0]]})), count=3)
    window.close()
    assert first.get("duplicates", 0) == 0 and retry.get("duplicates") == 6 and overlap.get("duplicates") == 3
    assert_stored(server, [as_stored(m) for m in batch], window)


def test_a_batch_retried_after_a_flush_is_stored_once(server: FloeServer):
    """Dedup keys outlive the flush (docs/design.md §4: a TTL of 24 h), so a late SDK retry is not a second copy."""
    batch = [segment_message("track") for _ in range(3)]
    window = Window.open()
    assert_accepted(server.post("/v1/batch", dumps({"batch": batch})), count=3)
    server.flush()
    assert_accepted(server.post("/v1/batch", dumps({"batch": batch})), count=3)
    window.close()
    assert_stored(server, [as_stored(m) for m in batch], window)


@pytest.mark.parametrize("short,kind", SHORT_PATHS.items())
def test_short_paths_take_the_type_from_the_path(server: FloeServer, short: str, kind: str):
    message = segment_message(kind)
    del message["type"]
    window = Window.open()
    assert_accepted(server.post(f"/v1/{short}", dumps(message)), count=1)
    window.close()
    assert_stored(server, [as_stored({**message, "type": kind})], window)


def test_the_path_type_wins_over_the_body_type(server: FloeServer):
    message = segment_message("track", type="identify")
    assert_accepted(server.post("/v1/track", dumps(message)))
    server.flush()
    [row] = rows_with_keys(server, EVENTS, [message["messageId"]])
    assert row["type"] == "track"


def test_unknown_v1_path_is_404(server: FloeServer):
    assert_error(server.post("/v1/purchase", dumps(segment_message("track"))), 404)


def test_segment_mobile_and_batching_sdks_post_batches_to_v1_b(server: FloeServer):
    """Segment's analytics-swift and analytics-kotlin, and analytics.js's batching delivery, post their batches to
    `{apiHost}/b` with the default apiHost `api.segment.io/v1`: `/v1/b`. Their request shapes, from the SDKs'
    sources (their runtimes are not on this machine): Swift, JSON with Basic auth; Kotlin, `text/plain`, gzip,
    chunked; analytics.js, `text/plain` with the writeKey in the body. A 404 there would be taken as delivered
    (analytics.js) or as a batch to delete (analytics-kotlin)."""
    auth = {"Authorization": "Basic " + base64.b64encode(b"mobile-write-key:").decode()}
    sent = []
    for shape in ("swift", "kotlin", "browser"):
        batch = [segment_message(kind, timestamp="2026-11-20T10:00:00.000Z") for kind in ("track", "screen", "identify")]
        body = dumps({"batch": batch, "sentAt": "2026-11-20T10:00:01.000Z", "writeKey": "mobile-write-key"})
        if shape == "swift":
            response = server.post("/v1/b", body, headers=auth)
        elif shape == "kotlin":
            response = server.post("/v1/b", iter([gzipped(body)]), content_type="text/plain",
                                   headers={**auth, "Content-Encoding": "gzip"})
        else:
            response = server.post("/v1/b", body, content_type="text/plain")
        assert_accepted(response, count=3)
        sent += batch
    server.flush()
    rows = rows_with_keys(server, EVENTS, [m["messageId"] for m in sent])
    assert sorted(r["message_id"] for r in rows) == sorted(m["messageId"] for m in sent)
    assert {r["type"] for r in rows} == {"track", "screen", "identify"}


def test_import_is_a_batch(server: FloeServer):
    batch = [segment_message(kind, timestamp="2025-01-02T03:04:05Z") for kind in SEGMENT_TYPES]
    window = Window.open()
    assert_accepted(server.post("/v1/import", dumps({"batch": batch, "context": {"source": "import"}})), count=6)
    window.close()
    assert_stored(server, [as_stored(m, batch={"context": {"source": "import"}}) for m in batch], window)


# ---------------------------------------------------------------------- CORS

ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def cors_server(floe_launcher: FloeLauncher):
    server = floe_launcher.new("cors", env={"ALLOWED_ORIGINS": f"{ORIGIN}, https://other.example.com"}).start()
    yield server
    server.stop()


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/t", "/events"])
def test_cors_preflight_is_answered(cors_server: FloeServer, path: str):
    response = cors_server.http.options(cors_server.url + path, timeout=60, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization"})
    assert response.status_code in (200, 204), response.text
    headers = response.headers
    assert headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert "POST" in headers.get("Access-Control-Allow-Methods", "")
    allowed = headers.get("Access-Control-Allow-Headers", "").lower()
    assert "content-type" in allowed and "authorization" in allowed
    assert "Origin" in headers.get("Vary", "")
    assert int(headers.get("Access-Control-Max-Age", "0")) > 0


def test_cors_headers_on_answers_and_errors(cors_server: FloeServer):
    ok = cors_server.post("/v1/batch", dumps({"batch": [segment_message("track")]}), headers={"Origin": ORIGIN})
    assert_accepted(ok)
    bad = cors_server.post("/v1/batch", b"{", headers={"Origin": ORIGIN})
    assert_error(bad, 400)
    for response in (ok, bad):
        assert response.headers.get("Access-Control-Allow-Origin") == ORIGIN, dict(response.headers)
        assert "Origin" in response.headers.get("Vary", "")


def test_cors_ignores_other_origins(cors_server: FloeServer):
    preflight = cors_server.http.options(cors_server.url + "/v1/batch", timeout=60, headers={
        "Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    post = cors_server.post("/v1/batch", dumps({"batch": [segment_message("track")]}),
                            headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in post.headers


def test_cors_wildcard_reflects_the_origin_and_allows_credentials(floe):
    """A browser refuses `Access-Control-Allow-Origin: *` to a request with credentials: with `*`, every origin
    is echoed back with `Access-Control-Allow-Credentials: true` (test_browser_cors.py runs it in Chromium)."""
    server = floe(env={"ALLOWED_ORIGINS": "*"})
    for origin in ("https://anywhere.example", "http://localhost:3000"):
        response = server.post("/v1/batch", dumps({"batch": [segment_message("track")]}), headers={"Origin": origin})
        assert_accepted(response)
        assert response.headers.get("Access-Control-Allow-Origin") == origin, dict(response.headers)
        assert response.headers.get("Access-Control-Allow-Credentials") == "true"
        assert "Origin" in response.headers.get("Vary", "")
    preflight = server.http.options(server.url + "/v1/batch", timeout=60, headers={
        "Origin": "https://anywhere.example", "Access-Control-Request-Method": "POST"})
    assert preflight.headers.get("Access-Control-Allow-Origin") == "https://anywhere.example"
    assert preflight.headers.get("Access-Control-Allow-Credentials") == "true"
    # answers to requests without an Origin still say they vary by it, so caches keep them apart
    plain = server.post("/v1/batch", dumps({"batch": [segment_message("track")]}))
    assert "Origin" in plain.headers.get("Vary", "") and "Access-Control-Allow-Origin" not in plain.headers


def test_no_cors_headers_without_allowed_origins(server: FloeServer):
    response = server.post("/v1/batch", dumps({"batch": [segment_message("track")]}), headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


# ---------------------------------------------------------------------- health, metrics, debug


def test_health(server: FloeServer):
    for path, status in (("/health", "ok"), ("/health/ready", "ready")):
        response = server.get(path)
        assert response.status_code == 200 and response.json().get("status") == status, response.text
        head = server.http.head(server.url + path, timeout=10)  # as load balancers' health checks often ask
        assert head.status_code == 200 and head.content == b"", (head.status_code, head.content)


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_a_data_directory_that_cannot_be_made_is_named_in_the_error(floe_bin, tmp_path, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    data_dir = blocker if where == "a file" else blocker / "data"
    run = subprocess.run([str(floe_bin), "serve", "--port", "29999", "--data-dir", str(data_dir)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert f"data_dir {data_dir}" in run.stderr and "--data-dir" in run.stderr, run.stderr
    assert ("is a file" if where == "a file" else "Not a directory") in run.stderr, run.stderr


def test_health_ready_is_503_while_the_buffer_is_locked(floe):
    """Another process holding the buffer's write lock makes the store unusable: not ready, but alive."""
    server = floe()
    lock = sqlite3.connect(server.data_dir / "buffer.db", timeout=1, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        response = server.get("/health/ready")
        assert_error(response, 503, "buffer")
        assert server.get("/health").status_code == 200
    finally:
        lock.close()
    assert server.get("/health/ready").status_code == 200


def test_health_ready_is_503_when_table_metadata_is_unreadable(floe):
    server = floe()
    assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track")]})))
    server.flush()
    metadata = load_table(server.data_dir, EVENTS.name).metadata_location.removeprefix("file://")
    with open(metadata, "w") as f:
        f.write("{ not metadata")
    assert_error(server.get("/health/ready"), 503, "events")


def test_health_ready_is_503_while_a_tables_flushes_fail_until_its_next_commit(floe):
    """A table that loads but cannot be written to: its flushes fail, so Floe is not ready (the load balancer's
    `?for=ingest` probe still is), `/debug/status` says since when and why, and the next commit clears it."""
    server = floe()
    assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track")]})))
    server.flush()
    data = Path(local_path(load_table(server.data_dir, EVENTS.name).location())) / "data"
    assert data.is_dir(), data
    moved = data.with_name("data.moved")
    data.rename(moved)
    data.write_text("a file where the data directory was: writes under it fail, even as root")

    def events_status() -> dict:
        return next(t for t in server.get("/debug/status").json()["tables"] if t["table"] == EVENTS.name)

    try:
        assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track")]})))
        assert_error(server.post("/debug/flush"), 503, "flush failed")
        body = assert_error(server.get("/health/ready"), 503, "not ready", "events: flushes failing since")
        assert server.get("/health/ready?for=ingest").status_code == 200
        status = events_status()
        assert status["flush_failing_since"] and status["last_flush_error"], status
        assert status["last_flush_error"] in " ".join(body["errors"]), body
        # A load balancer probes several times a second: its 503s are answers, not failures to log each time.
        for _ in range(5):
            assert server.get("/health/ready").status_code == 503
        assert "http.route=/health/ready" not in server.log_tail(), server.log_tail()
    finally:
        data.unlink()
        moved.rename(data)
    assert server.flush()["rows"] == 1
    assert server.get("/health/ready").status_code == 200
    status = events_status()
    assert status["flush_failing_since"] is None and status["last_flush_error"] is None, status
    assert status["flush_started_at"] is None, status


def test_metrics_are_prometheus_text(server: FloeServer):
    batch = [segment_message("track") for _ in range(3)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": batch})))
    assert_accepted(server.post("/v1/batch", dumps({"batch": batch})))  # duplicates
    assert_error(server.post("/v1/batch", b"{"), 400)
    assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track", event=None)]})), count=0)
    event = {"specversion": "1.0", "id": unique("m"), "source": "/m", "type": "com.example.metrics"}
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))
    server.flush()

    response = server.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain"), response.headers
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value

    def value(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))))

    assert value("floe_events_accepted_total", table="events") >= 3
    assert value("floe_events_accepted_total", table="cloudevents") >= 1
    assert value("floe_events_deduplicated_total", table="events") >= 3
    assert value("floe_events_refused_total") >= 1
    assert value("floe_events_rejected_total", reason="event: is required for track") >= 1
    assert value("floe_http_requests_total", route="/v1/batch", method="POST", status="200") >= 2
    assert value("floe_http_requests_total", route="/v1/batch", method="POST", status="400") >= 1
    names = {name for name, _ in samples}
    assert {"floe_http_request_duration_seconds_count", "floe_flush_duration_seconds_count",
            "floe_buffer_events"} <= names, sorted(names)

    # Every family has HELP text, and Prometheus' own linter (promtool, Debian's prometheus package) accepts it.
    families = list(text_string_to_metric_families(response.text))
    assert families and all(family.documentation.strip() for family in families), \
        [family.name for family in families if not family.documentation.strip()]
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing (apt install prometheus; make test installs it)"
    lint = subprocess.run([promtool, "check", "metrics"], input=response.text, capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(), lint.stdout + lint.stderr


def created_tables(server: FloeServer) -> None:
    """Flushes one event into each table, so that they exist (a type's status then names their location)."""
    assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track")]})))
    event = {"specversion": "1.0", "id": unique("made"), "source": "/made", "type": "com.example.made"}
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))
    server.flush()


def test_debug_status_reports_every_partition(server: FloeServer):
    created_tables(server)
    at = dt.datetime(2026, 11, 19, 14, tzinfo=dt.timezone.utc)
    batch = [segment_message("screen", timestamp=f"2026-11-19T14:{i:02d}:00Z") for i in range(4)]
    batch += [segment_message("group", timestamp="2026-11-19T15:00:00Z")]
    assert_accepted(server.post("/v1/batch", dumps({"batch": batch})))
    event = {"specversion": "1.0", "id": unique("st"), "source": "/st", "type": "com.example.status",
             "time": "2026-11-19T14:30:00Z"}
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))

    status = server.get("/debug/status").json()
    partitions = {p["partition_key"]: p for p in status["partitions"]}
    assert partitions[f"screen/{at:%Y-%m-%d-%H}"]["buffered_count"] == 4
    assert partitions["group/2026-11-19-15"]["buffered_count"] == 1
    assert partitions["com.example.status/2026-11-19-14"]["table"] == "cloudevents"
    assert status["buffered_count"] == 6
    assert status["buffer_threshold"] == 2000 and status["max_buffer_size"] >= 2000

    screen = server.get("/debug/status/screen").json()
    assert screen["buffered_count"] == 4 and screen["partition_key"] == "screen/2026-11-19-14"
    assert screen["table_location"].endswith("/warehouse/analytics/events")
    assert screen["oldest_event_age_ms"] >= 0
    ce = server.get("/debug/status/com.example.status").json()
    assert ce["buffered_count"] == 1 and ce["table_location"].endswith("/warehouse/analytics/cloudevents")
    server.flush()


def test_debug_status_of_a_type_creates_no_table(floe):
    """A GET changes nothing: before the first flush, a type's status has no table location, and no table is made."""
    server = floe()
    for path in ("/debug/status/track", "/debug/status/com.example.x?table=cloudevents"):
        status = server.get(path).json()
        assert status["table_location"] == "" and status["buffered_count"] == 0, status
    assert not (Path(server.data_dir) / "warehouse" / "analytics").exists()
    assert "created table" not in server.log_tail()


def test_debug_flush_of_one_type_leaves_the_others_buffered(server: FloeServer):
    server.flush()
    tracks, pages = [segment_message("track") for _ in range(2)], [segment_message("page") for _ in range(3)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": tracks + pages})))
    report = server.flush("page")
    assert report["success"] is True and report["rows"] == 3, report
    [table] = report["tables"]
    assert table["table"] == "events" and table["rows"] == 3 and table["files"] and table["snapshot_id"]
    assert all(p.startswith("page/") for p in table["partitions"]), table
    assert len(rows_with_keys(server, EVENTS, [m["messageId"] for m in pages])) == 3
    assert not rows_with_keys(server, EVENTS, [m["messageId"] for m in tracks])
    assert server.get("/debug/status/track").json()["buffered_count"] == 2
    assert server.flush("track")["rows"] == 2


def test_debug_routes_take_a_percent_encoded_cloudevents_type(server: FloeServer):
    """A CloudEvents type may hold spaces, `/` or any Unicode: `/debug/status/{type}` and `/debug/flush/{type}` take it
    percent-encoded, as a URL must carry it."""
    server.flush()
    kind = f"order placed/{unique('ü')}"
    event = {"specversion": "1.0", "id": unique("pct"), "source": "/pct", "type": kind}
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))
    path = urllib.parse.quote(kind, safe="")
    status = server.get(f"/debug/status/{path}").json()
    assert status["type"] == kind and status["buffered_count"] == 1, status
    assert status["partition_key"].startswith(kind + "/"), status
    report = server.post(f"/debug/flush/{path}", b"").json()
    assert report["rows"] == 1, report
    assert rows_with_keys(server, CLOUDEVENTS, [event["id"]])


def test_debug_status_of_a_cloudevents_type_named_like_a_segment_type(server: FloeServer):
    """A CloudEvents type may be called `track`: `?table=cloudevents` shows its partitions, not the events table's."""
    created_tables(server)
    event = {"specversion": "1.0", "id": unique("ce-track"), "source": "/ce", "type": "track"}
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))
    assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track") for _ in range(2)]})))
    segment = server.get("/debug/status/track").json()
    assert segment["table"] == "events" and segment["buffered_count"] == 2, segment
    cloud = server.get("/debug/status/track?table=cloudevents").json()
    assert cloud["table"] == "cloudevents" and cloud["buffered_count"] == 1, cloud
    assert cloud["table_location"].endswith("/analytics/cloudevents"), cloud
    bad = server.get("/debug/status/track?table=rejected")
    assert bad.status_code == 400 and "events or cloudevents" in bad.json()["error"], bad.text
    assert server.flush("track")["rows"] == 3


def test_debug_flush_by_table_name(server: FloeServer):
    server.flush()
    event = {"specversion": "1.0", "id": unique("tbl"), "source": "/tbl", "type": "com.example.table"}
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))
    assert server.flush("cloudevents")["rows"] == 1
    assert rows_with_keys(server, CLOUDEVENTS, [event["id"]])


def test_debug_list_objects_under_the_table_location(server: FloeServer):
    """docs/design.md §3: GET /debug/list-r2?prefix= lists the objects under the table location."""
    assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track")]})))
    server.flush()
    response = server.get("/debug/list-r2", params={"prefix": "data/"})
    assert response.status_code == 200, f"{response.status_code} {response.text!r}"
    assert ".parquet" in response.text
    assert server.get("/debug/list-r2", params={"prefix": "data/", "limit": "1"}).status_code == 200
    # A limit out of range or not a number is a 400 that says so (it used to act as 1, or be ignored).
    for limit in ("0", "-1", "abc", "99999999999999999999", "10001"):
        refused = server.get("/debug/list-r2", params={"limit": limit})
        assert refused.status_code == 400 and "limit must be" in refused.text, (limit, refused.status_code, refused.text)


# ---------------------------------------------------------------------- shutdown


def test_sigterm_commits_buffered_events_before_exit(floe):
    """test_durability restarts the server and flushes before it reads; this reads the tables of the stopped server,
    so only the shutdown flush can have put the events there."""
    server = floe()
    batch = [segment_message(kind) for kind in SEGMENT_TYPES for _ in range(5)]
    event = {"specversion": "1.0", "id": unique("term"), "source": "/term", "type": "com.example.term",
             "time": "2026-11-20T10:00:00Z"}
    window = Window.open()
    assert_accepted(server.post("/v1/batch", dumps({"batch": batch})), count=30)
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))
    window.close()
    assert server.get("/debug/status").json()["buffered_count"] == 31, "nothing flushed before the stop"
    assert server.stop() == 0, "floe did not exit cleanly on SIGTERM"
    assert_stored(server, [as_stored(m) for m in batch], window, flush=False)
    assert_stored(server, [event], window, flush=False)
    assert micros(event["time"]) == rows_with_keys(server, CLOUDEVENTS, [event["id"]])[0]["time"]


def test_sighup_shuts_down_as_sigterm_does(floe):
    """SIGHUP (a closed terminal, a supervisor's hangup) ended the process at once, with no drain and no final flush;
    it shuts down as SIGTERM does, so the buffered events are committed before the exit."""
    import signal as signals
    server = floe()
    batch = [segment_message("track") for _ in range(5)]
    window = Window.open()
    assert_accepted(server.post("/v1/batch", dumps({"batch": batch})), count=5)
    window.close()
    server.process.send_signal(signals.SIGHUP)
    assert server.process.wait(60) == 0, "floe did not exit cleanly on SIGHUP"
    assert_stored(server, [as_stored(m) for m in batch], window, flush=False)


def test_sigterm_drains_then_exits_within_the_shutdown_timeout_even_with_the_catalog_down(floe, tmp_path):
    """docs/scaling.md: not ready at once but still serving for the drain delay, then a final flush cut off at
    the shutdown timeout (the catalog refuses connections); the events stay in the buffer and the next start,
    with a catalog, commits every one of them once."""
    from rest_catalog_server import RestCatalogServer

    server = floe(env={"R2_CATALOG_ENDPOINT": "http://127.0.0.1:9", "FLOE_DRAIN_DELAY_MS": "1500",
                       "FLOE_SHUTDOWN_TIMEOUT_MS": "4000", "FLOE_INSTANCE_ID": "drainer"})
    sent = [segment_message("track") for _ in range(30)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": sent[:20]})))
    assert server.get("/health/ready?for=ingest").status_code == 200
    assert server.get("/health/ready").status_code == 503, "the catalog is down: not ready for flushing"
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    draining = server.get("/health/ready?for=ingest")
    assert_error(draining, 503, "draining")
    assert_accepted(server.post("/v1/batch", dumps({"batch": sent[20:]})), count=10)  # still served
    assert server.process.wait(timeout=15) == 0
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 6, f"shutdown took {elapsed:.1f} s with a 4 s bound"
    assert "final flush cut off at the shutdown timeout" in server.log_tail(100_000)

    rest = RestCatalogServer(tmp_path / "rest").start()
    try:
        server.start(env={"R2_CATALOG_ENDPOINT": rest.uri, "FLOE_CATALOG_WAREHOUSE": "interop"})
        server.flush()
        table = rest.catalog.load_table("analytics.events")
        ids = [r["message_id"] for r in table.scan(selected_fields=("message_id",)).to_arrow().to_pylist()]
        assert sorted(ids) == sorted(m["messageId"] for m in sent)
        assert {s.summary.additional_properties.get("floe.instance-id") for s in table.metadata.snapshots} == {"drainer"}
    finally:
        server.stop()
        rest.stop()


def stalled_request(server: FloeServer, partial: bytes) -> socket.socket:
    """A connection that sent `partial` (part of a request) and then nothing more."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    connection.sendall(partial)
    return connection


STALLED_BODY = b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"


def test_a_client_stalled_mid_body_does_not_cost_the_final_flush(floe):
    """docs/scaling.md: in-flight requests get at most half the time left after the drain; a client that stalls
    mid-body is then cut off unanswered, and the final flush still commits what was acknowledged."""
    server = floe(env={"FLOE_SHUTDOWN_TIMEOUT_MS": "6000"})
    message = segment_message("track")
    assert_accepted(server.post("/v1/track", dumps(message)), count=1)
    stalled = stalled_request(server, STALLED_BODY)
    try:
        time.sleep(0.3)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0
        elapsed = time.monotonic() - started
        assert elapsed < 6, f"shutdown took {elapsed:.1f} s with a 6 s bound"
        assert stalled.recv(4096) == b"", "the stalled request was cut off without an answer"
    finally:
        stalled.close()
    log = server.log_tail(100_000)
    assert "were cut off" in log and "final flush cut off" not in log, log[-3000:]
    assert [r["message_id"] for r in rows_with_keys(server, EVENTS, [message["messageId"]])] == [message["messageId"]]


@pytest.mark.parametrize("partial", [b"GET /health HTTP/1.1\r\nHost: x\r\n", STALLED_BODY, b""],
                         ids=["stalled-head", "stalled-body", "silent"])
def test_connections_that_send_nothing_are_closed_after_the_idle_timeout(floe, partial: bytes):
    server = floe(env={"FLOE_IDLE_TIMEOUT_MS": "1000"})
    connection = stalled_request(server, partial)
    try:
        started = time.monotonic()
        assert connection.recv(4096) == b"", "closed without an answer"
        assert 0.8 <= time.monotonic() - started < 10
    finally:
        connection.close()
    # A keep-alive connection is closed once idle for as long, after its answers.
    connection = stalled_request(server, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        answer = connection.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200"), answer
        while (more := connection.recv(4096)) != b"":
            answer += more
        assert answer.count(b"HTTP/1.1 200") == 1
    finally:
        connection.close()
    assert server.get("/health").status_code == 200


def read_response(connection: socket.socket) -> tuple[bytes, bytes]:
    """One HTTP/1.1 response with a Content-Length: its head and its body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"closed before a whole head: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk, "closed before the whole body"
        body += chunk
    return head, body


def test_expect_100_continue_is_answered_before_the_body_is_sent(server: FloeServer):
    """RFC 9110 §10.1.1: a client that sends `Expect: 100-continue` waits for `100 Continue` (curl for large
    bodies, .NET Framework) before it sends its body; Floe answers it as soon as the head arrives."""
    message = segment_message("track")
    body = dumps({"batch": [message]})
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        connection.sendall(b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        interim = connection.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n"), interim
        connection.sendall(body)
        head, answer = read_response(connection)
        assert head.startswith(b"HTTP/1.1 200"), head
        assert json.loads(answer)["accepted"] == 1
    finally:
        connection.close()
    server.flush()
    assert len(rows_with_keys(server, EVENTS, [message["messageId"]])) == 1


def test_a_pipelined_request_gets_its_100_continue_after_the_answer_before_it(server: FloeServer):
    first, second = dumps(segment_message("track")), dumps(segment_message("track"))
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        head = b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
        connection.sendall(head % len(first) + b"\r\n" + first
                           + head % len(second) + b"Expect: 100-continue\r\n\r\n")
        received = b""
        while b"100 Continue\r\n\r\n" not in received:
            chunk = connection.recv(4096)
            assert chunk, received
            received += chunk
        assert received.startswith(b"HTTP/1.1 200") and received.endswith(b"HTTP/1.1 100 Continue\r\n\r\n"), received
        connection.sendall(second)
        answer, _ = read_response(connection)
        assert answer.startswith(b"HTTP/1.1 200"), answer
    finally:
        connection.close()


@pytest.mark.parametrize("garbage", [b"NOT HTTP AT ALL\r\n\r\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                                     b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"],
                         ids=["garbage", "http2-preface", "header-without-colon"])
def test_bytes_that_are_not_http_get_a_json_400_and_the_connection_closes(server: FloeServer, garbage: bytes):
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        connection.sendall(garbage)
        head, body = read_response(connection)
        assert head.startswith(b"HTTP/1.1 400"), head
        assert b"content-type: application/json" in head.lower(), head
        error = json.loads(body)
        assert error["success"] is False and "not valid HTTP/1.1" in error["error"], error
        assert connection.recv(4096) == b"", "the connection is closed after the answer"
    finally:
        connection.close()
    assert server.get("/health").status_code == 200


def test_connect_is_refused_and_the_connection_closes_after_the_answer(server: FloeServer):
    """Floe is no proxy. swift-nio writes an answer to CONNECT without a length, so Floe closes the connection
    after it: a client reading to the end gets the whole answer at once, not after the idle timeout. A request
    pipelined before the CONNECT is answered; what follows it is not read."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                           b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
                           b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):  # a hang here times out after 10 s and fails the test
            received += chunk
    finally:
        connection.close()
    first, rest = received.split(b"\r\n\r\n", 1)
    assert first.startswith(b"HTTP/1.1 200"), received
    assert rest.count(b"HTTP/1.1 ") == 1, received
    connect_answer = rest[rest.index(b"HTTP/1.1 "):]
    assert connect_answer.startswith(b"HTTP/1.1 4"), received
    assert b"connection: close" in connect_answer.lower(), received
    assert server.get("/health").status_code == 200


def _read_to_close(connection: socket.socket) -> bytes:
    """Everything until the server closes the connection (a hang fails on the socket's timeout)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_http_1_0_connections_close_after_their_answer_unless_kept_alive(server: FloeServer):
    """An HTTP/1.0 connection closes after its answer unless the request asks for `keep-alive` (ApacheBench without
    `-k`, and scripts that read a response to the end of the stream, wait for that close); one that asks gets
    `Connection: keep-alive` back and its next request answered; HTTP/1.1's `Connection: Close` closes in any case."""
    message = segment_message("track")
    body = dumps(message)
    for request in (b"GET /health HTTP/1.0\r\n\r\n",
                    b"POST /v1/track HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(body), body),
                    b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
            connection.sendall(request)
            answer = _read_to_close(connection)
        assert answer.startswith(b"HTTP/1.1 200") and answer.count(b"HTTP/1.1 ") == 1, answer
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(b"GET /health HTTP/1.0\r\nConnection: Keep-Alive, foo\r\n\r\n")
        head, _ = read_response(connection)
        assert b"\r\nconnection: keep-alive" in head.lower(), head
        connection.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        answer = _read_to_close(connection)
        assert answer.startswith(b"HTTP/1.1 200") and b"keep-alive" not in answer.lower(), answer
    # HTTP/1.1 keeps connections alive by default: nothing to confirm.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        head, _ = read_response(connection)
        assert head.startswith(b"HTTP/1.1 200") and b"connection:" not in head.lower(), head
    server.flush()
    assert len(rows_with_keys(server, EVENTS, [message["messageId"]])) == 1

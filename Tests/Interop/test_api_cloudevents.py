"""CloudEvents over HTTP (docs/design.md §2 `cloudevents`, §3 `/events`, `/events/batch`), sent with the `cloudevents` SDK.

The SDK (2.x) carries two APIs and both are used as they are: the long-standing one, now at
`cloudevents.v1` (`conversion.to_structured` / `to_binary`, which does not percent-encode header
values), and the new `cloudevents.core.bindings.http` (which percent-encodes `ce-*` values as
the HTTP binding asks). Requests go out with `requests`, as the SDK's documentation shows.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
from urllib.parse import unquote

import pytest
import requests
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as CoreCloudEvent
from cloudevents.v1 import conversion as v1_conversion
from cloudevents.v1.http import CloudEvent as V1CloudEvent

from api import assert_accepted, assert_error, assert_stored, dumps, rows_with_keys, unique
from corpus import CLOUDEVENTS_JSON, Window
from floe_server import FloeLauncher, FloeServer
from lake import data_files, duckdb_connect, duckdb_rows, load_table, pyiceberg_rows
from tables import CF_COLUMNS, CLOUDEVENTS

UTC = dt.timezone.utc
BATCH_JSON = "application/cloudevents-batch+json"


@pytest.fixture(scope="module")
def server(floe_launcher: FloeLauncher):
    server = floe_launcher.new("cloudevents").start()
    yield server
    server.stop()


def post_events(server: FloeServer, headers: dict, body: bytes, path: str = "/events") -> requests.Response:
    """POST exactly the SDK's headers and body (no Content-Type added when the SDK set none)."""
    return server.http.post(server.url + path, headers=headers, data=body, timeout=60)


def sent_from_binary(headers: dict, body: bytes) -> dict:
    """The event a binary-mode request carries, as `tables.expected_cloudevent` reads a structured one."""
    event = {name[3:].lower(): unquote(value) for name, value in headers.items() if name.lower().startswith("ce-")}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if content_type:
        event["datacontenttype"] = content_type
    if body:
        event["data"] = json.loads(body) if content_type and "json" in content_type else body.decode()
    return event


def new_source() -> str:
    return "/tests/" + unique("source")


# ---------------------------------------------------------------------- structured mode


def test_structured_mode_with_the_v1_api(server: FloeServer):
    source = new_source()
    events = [
        V1CloudEvent({"type": "com.example.order.created", "source": source, "subject": "order/1",
                      "dataschema": "https://example.com/order.json", "tenant": "acme", "priority": 3},
                     {"order": 1, "lines": [{"sku": "A", "qty": 2}], "note": "größer"}),
        V1CloudEvent({"type": "com.example.order.paid", "source": source, "datacontenttype": "application/json"},
                     {"order": 1, "paid": True}),
        V1CloudEvent({"type": "com.example.ping", "source": source}),  # no data
    ]
    window = Window.open()
    sent = []
    for event in events:
        headers, body = v1_conversion.to_structured(event)
        assert headers["content-type"] == CLOUDEVENTS_JSON
        response = post_events(server, headers, body)
        assert response.status_code in (200, 202), response.text
        sent.append(json.loads(body))
    window.close()
    rows = assert_stored(server, sent, window)
    by_id = {row["id"]: row for row in rows}
    assert by_id[sent[0]["id"]]["extensions"] == {"tenant": "acme", "priority": "3"}, \
        "extensions: strings as sent, other values as JSON text"


def test_structured_mode_with_the_core_api(server: FloeServer):
    source = new_source()
    window = Window.open()
    sent = []
    for i in range(3):
        event = CoreCloudEvent({"type": "com.example.core", "source": source, "subject": f"item {i}",
                                "time": dt.datetime(2026, 11, 22, 7, 30, i, 250_000, tzinfo=UTC), "region": "eu"},
                               {"i": i, "tags": ["a", "b"]})
        message = ce_http.to_structured(event, JSONFormat())
        assert_accepted(post_events(server, message.headers, message.body))
        sent.append(json.loads(message.body))
    window.close()
    assert_stored(server, sent, window)


def test_structured_mode_accepts_plain_json(server: FloeServer):
    event = {"specversion": "1.0", "id": unique("plain"), "source": new_source(), "type": "com.example.plain",
             "data": {"ok": True}}
    window = Window.open()
    assert_accepted(server.post("/events", dumps(event), content_type="application/json"), count=1)
    window.close()
    assert_stored(server, [event], window)


def test_data_base64_is_stored_as_sent(server: FloeServer):
    payload = bytes(range(256))
    event = V1CloudEvent({"type": "com.example.blob", "source": new_source()}, payload)
    headers, body = v1_conversion.to_structured(event)
    sent = json.loads(body)
    assert sent["data_base64"] == base64.b64encode(payload).decode()
    assert_accepted(post_events(server, headers, body))
    server.flush()
    [row] = rows_with_keys(server, CLOUDEVENTS, [sent["id"]])
    assert row["data"] == sent["data_base64"]
    assert not row["extensions"], f"data_base64 is not an extension: {row['extensions']}"


# ---------------------------------------------------------------------- binary mode


def test_binary_mode_with_the_v1_api(server: FloeServer):
    source = new_source()
    event = V1CloudEvent({"type": "com.example.binary", "source": source, "subject": "plain-subject",
                          "datacontenttype": "application/json", "traceparent": "00-abc-def-01"},
                         {"amount": 10, "currency": "EUR"})
    headers, body = v1_conversion.to_binary(event)
    assert "ce-id" in headers and "ce-specversion" in headers
    window = Window.open()
    assert_accepted(post_events(server, headers, body))
    window.close()
    rows = assert_stored(server, [sent_from_binary(headers, body)], window)
    assert rows[0]["extensions"] == {"traceparent": "00-abc-def-01"}


def test_binary_mode_with_the_core_api_percent_decodes_headers(server: FloeServer):
    """The core API percent-encodes `ce-*` values (space, `"`, `%`, non-ASCII); Floe stores them decoded."""
    subject = 'Grüße "100%" done'
    event = CoreCloudEvent({"type": "com.example.encoded", "source": new_source(), "subject": subject,
                            "datacontenttype": "application/json", "comment": "ä b%c"},
                           {"text": "hello"})
    message = ce_http.to_binary(event, JSONFormat())
    assert message.headers["ce-subject"] != subject, "the SDK percent-encodes header values"
    window = Window.open()
    assert_accepted(post_events(server, message.headers, message.body))
    window.close()
    sent = sent_from_binary(message.headers, message.body)
    assert sent["subject"] == subject
    rows = assert_stored(server, [sent], window)
    assert rows[0]["subject"] == subject
    assert rows[0]["extensions"] == {"comment": "ä b%c"}


def test_binary_mode_text_data_is_stored_as_text(server: FloeServer):
    event = CoreCloudEvent({"type": "com.example.text", "source": new_source(), "datacontenttype": "text/plain"},
                           "just some text, not JSON")
    message = ce_http.to_binary(event, JSONFormat())
    assert_accepted(post_events(server, message.headers, message.body))
    server.flush()
    [row] = rows_with_keys(server, CLOUDEVENTS, [event.get_id()])
    assert row["data"] == "just some text, not JSON"
    assert row["datacontenttype"] == "text/plain"
    assert row["time"] == int(event.get_time().timestamp() * 1_000_000)


def test_binary_mode_hand_written_headers(server: FloeServer):
    """Percent-encoded values written by hand (as a curl user would), including the time attribute."""
    event_id = unique("hand")
    headers = {"ce-specversion": "1.0", "ce-id": event_id, "ce-source": "urn:test:hand%2Fmade",
               "ce-type": "com.example.hand", "ce-time": "2026-11-23T04:05:06.789%2B01:00",
               "ce-subject": "a%20b%E2%82%AC", "ce-myext": "x%3Dy", "Content-Type": "application/json"}
    assert_accepted(server.http.post(server.url + "/events", headers=headers, data=b'{"v":1}', timeout=60))
    server.flush()
    [row] = rows_with_keys(server, CLOUDEVENTS, [event_id])
    assert (row["source"], row["subject"], row["extensions"]) == ("urn:test:hand/made", "a b€", {"myext": "x=y"})
    assert row["time"] == int(dt.datetime(2026, 11, 23, 3, 5, 6, 789_000, tzinfo=UTC).timestamp() * 1_000_000)
    assert (row["year"], row["month"], row["day"], row["hour"]) == (2026, 11, 23, 3)


def test_binary_mode_header_values_as_the_binding_decodes_them(server: FloeServer):
    """The HTTP binding (§3.1.3.2): a double-quoted value (older senders) is unquoted and its backslash escapes
    undone, then percent-decoded once; a stray `%` leaves the other escapes decoded; bytes that are not UTF-8 once
    decoded (`%C0%A0`, an overlong space, is the binding's own example) are refused with the header named."""
    event_id = unique("quoted")
    headers = {"ce-specversion": "1.0", "ce-id": event_id, "ce-source": "/quoted", "ce-type": "com.example.quoted",
               "ce-subject": '"hello \\"world\\""', "ce-myext": "50% off%21", "Content-Type": "application/json"}
    assert_accepted(server.http.post(server.url + "/events", headers=headers, data=b'{"v":1}', timeout=60))
    for bad in ("a%C0%A0b", "a%FFb"):
        refused = server.http.post(server.url + "/events", headers={**headers, "ce-id": unique("bad"), "ce-subject": bad},
                                   data=b'{"v":1}', timeout=60)
        assert refused.status_code == 400 and "ce-subject: is not UTF-8" in refused.text, refused.text
    server.flush()
    [row] = rows_with_keys(server, CLOUDEVENTS, [event_id])
    assert (row["subject"], row["extensions"]) == ('hello "world"', {"myext": "50% off!"}), row


def test_reasons_named_by_the_client_do_not_grow_the_metrics(floe):
    """A binary-mode CloudEvent names its own extension headers: the answer names the bad header, while the reason
    `floe_events_rejected_total` counts (a label) is one for all of them, so neither the metrics nor the memory grow
    with what clients send, and the reasons counted later are still their own."""
    server = floe()
    headers = {"ce-specversion": "1.0", "ce-source": "/labels", "ce-type": "com.example.labels",
               "Content-Type": "application/json"}
    for n in range(230):
        refused = server.http.post(server.url + "/events", data=b'{"v":1}', timeout=60,
                                   headers={**headers, "ce-id": unique("labels"), f"ce-x{n:04d}{'y' * 200}": "%FF"})
        assert refused.status_code == 400 and f"ce-x{n:04d}" in refused.text, refused.text
    assert_error(server.post("/events", dumps({"specversion": "1.0", "id": unique("late"), "source": "/l"}),
                             content_type=CLOUDEVENTS_JSON), 400, "type")
    metrics = server.get("/metrics").text
    reasons = {line.split('reason="', 1)[1].split('"', 1)[0] for line in metrics.splitlines()
               if line.startswith("floe_events_rejected_total{")}
    assert reasons == {"ce-*: is not UTF-8 once percent-decoded (CloudEvents HTTP binding §3.1.3.2)",
                       "type: is required"}, reasons


def test_a_null_extension_is_unset(server: FloeServer):
    """The JSON format: an attribute whose value is null is absent, extensions included."""
    event_id = unique("null-ext")
    event = {"specversion": "1.0", "id": event_id, "source": "/n", "type": "com.example.null", "gone": None,
             "kept": "yes"}
    assert_accepted(post_events(server, {"Content-Type": CLOUDEVENTS_JSON}, dumps(event)))
    server.flush()
    [row] = rows_with_keys(server, CLOUDEVENTS, [event_id])
    assert row["extensions"] == {"kept": "yes"}, row


def test_the_media_type_decides_structured_mode_over_ce_headers(server: FloeServer):
    """The HTTP binding reads the media type first: `application/cloudevents+json` is structured mode even when a
    proxy or gateway added `ce-` headers, which neither refuse the event nor replace its attributes."""
    event_id = unique("structured-with-headers")
    envelope = {"specversion": "1.0", "id": event_id, "source": "/mix", "type": "com.example.mix", "data": {"k": 1}}
    headers = {"Content-Type": "application/cloudevents+json; charset=utf-8", "ce-specversion": "1.0",
               "ce-id": "from-a-header", "ce-source": "/header", "ce-type": "com.example.header"}
    assert_accepted(server.http.post(server.url + "/events", headers=headers, data=dumps(envelope), timeout=60))
    batch_id = unique("batch-with-headers")
    assert_accepted(server.http.post(server.url + "/events", headers={**headers, "Content-Type": BATCH_JSON},
                                     data=dumps([{**envelope, "id": batch_id}]), timeout=60))
    server.flush()
    rows = {row["id"]: row for row in rows_with_keys(server, CLOUDEVENTS, [event_id, batch_id, "from-a-header"])}
    assert set(rows) == {event_id, batch_id}, rows
    assert (rows[event_id]["source"], rows[event_id]["type"]) == ("/mix", "com.example.mix")
    assert json.loads(rows[event_id]["data"]) == {"k": 1} and rows[event_id]["datacontenttype"] is None


# ---------------------------------------------------------------------- batches


def batch_of(count: int, prefix: str) -> list[dict]:
    source = new_source()
    return [{"specversion": "1.0", "id": unique(prefix), "source": source, "type": f"com.example.{prefix}",
             "time": f"2026-11-24T0{i % 3}:00:00Z", "data": {"n": i}, "seq": i} for i in range(count)]


def test_batch_content_type_on_events(server: FloeServer):
    sent = batch_of(5, "ctbatch")
    window = Window.open()
    assert_accepted(server.post("/events", dumps(sent), content_type=BATCH_JSON), count=5)
    window.close()
    assert_stored(server, sent, window)


@pytest.mark.parametrize("shape", ["array", "object"])
def test_events_batch_endpoint(server: FloeServer, shape: str):
    sent = batch_of(7, f"batch{shape}")
    body = dumps(sent if shape == "array" else {"events": sent})
    content_type = BATCH_JSON if shape == "array" else "application/json"
    window = Window.open()
    assert_accepted(server.post("/events/batch", body, content_type=content_type), count=7)
    window.close()
    assert_stored(server, sent, window)


def test_types_that_need_escaping_in_a_partition_path_stay_readable(server: FloeServer):
    """The `type` is the partition value, percent-escaped in the data file's directory (`type=order%20placed`).
    The file is on disk at the location the manifest names, as written, because every reader opens it so:
    pyiceberg and DuckDB scan the whole table, these partitions included."""
    types = ["order placed", "urn:example:created", "a//b", "%2e%2e", "type=x/y=z", "café ☕", "100%", "line\u2028sep"]
    sent = [{"specversion": "1.0", "id": unique("esc"), "source": "/tests/escaping", "type": kind, "data": {"n": n}}
            for n, kind in enumerate(types)]
    assert_accepted(server.post("/events/batch", dumps(sent), content_type=BATCH_JSON), count=len(types))
    server.flush()
    table = load_table(server.data_dir, CLOUDEVENTS.name)
    files = [f.path for f in data_files(table)]
    assert all(os.path.exists(path) for path in files), [p for p in files if not os.path.exists(p)]
    assert any("type=order%20placed/" in path for path in files), files
    ids = {event["id"]: event["type"] for event in sent}
    scanned = {row["id"]: row["type"] for row in pyiceberg_rows(table) if row["id"] in ids}
    assert scanned == ids
    assert {row["id"]: row["type"] for row in duckdb_rows(duckdb_connect(), table) if row["id"] in ids} == ids


def test_sdk_events_in_a_batch(server: FloeServer):
    """Structured events from the SDK, gathered into one `application/cloudevents-batch+json` array."""
    source = new_source()
    sent = [json.loads(ce_http.to_structured(CoreCloudEvent({"type": "com.example.sdkbatch", "source": source},
                                                            {"n": n}), JSONFormat()).body) for n in range(4)]
    window = Window.open()
    assert_accepted(server.post("/events/batch", dumps(sent), content_type=BATCH_JSON), count=4)
    window.close()
    assert_stored(server, sent, window)


# ---------------------------------------------------------------------- dedup, Cloudflare, time


def test_a_retried_event_is_stored_once(server: FloeServer):
    event = batch_of(1, "retry")[0]
    batch = batch_of(3, "retrybatch")
    window = Window.open()
    for _ in range(3):
        assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))
    for _ in range(2):
        assert_accepted(server.post("/events/batch", dumps(batch), content_type=BATCH_JSON), count=3)
    window.close()
    assert_stored(server, [event, *batch], window)


def test_same_id_from_another_source_is_another_event(server: FloeServer):
    shared_id = unique("shared")
    sent = [{"specversion": "1.0", "id": shared_id, "source": new_source(), "type": "com.example.same"}
            for _ in range(2)]
    for event in sent:
        assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))
    server.flush()
    rows = rows_with_keys(server, CLOUDEVENTS, [shared_id])
    assert sorted(row["source"] for row in rows) == sorted(event["source"] for event in sent)


CLOUDFLARE_HEADERS = {
    "CF-Ray": "8f3a9c1e2b4d5a6f-LHR", "CF-IPCountry": "GB", "cf-ipcity": "London", "cf-ipcontinent": "EU",
    "cf-postal-code": "EC1A", "cf-region": "England", "cf-timezone": "Europe/London",
    "cf-tls-version": "TLSv1.3", "cf-tls-cipher": "AEAD-AES128-GCM-SHA256",
}


@pytest.mark.parametrize("mode", ["structured", "binary"])
def test_cloudflare_headers_fill_the_cf_columns(server: FloeServer, mode: str):
    event = CoreCloudEvent({"type": "com.example.cf", "source": new_source()}, {"cf": True})
    convert = ce_http.to_structured if mode == "structured" else ce_http.to_binary
    message = convert(event, JSONFormat())
    assert_accepted(post_events(server, {**message.headers, **CLOUDFLARE_HEADERS}, message.body))
    server.flush()
    [row] = rows_with_keys(server, CLOUDEVENTS, [event.get_id()])
    got = {name: row[name] for name in CF_COLUMNS}
    assert got == {"cf_colo": "LHR", "cf_country": "GB", "cf_city": "London", "cf_continent": "EU",
                   "cf_postal_code": "EC1A", "cf_region": "England", "cf_timezone": "Europe/London",
                   "cf_http_protocol": "HTTP/1.1", "cf_tls_version": "TLSv1.3",
                   "cf_tls_cipher": "AEAD-AES128-GCM-SHA256"}


def test_without_cloudflare_headers_the_cf_columns_are_null(server: FloeServer):
    event = batch_of(1, "nocf")[0]
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON,
                                headers={"CF-IPCountry": "GB"}))  # no CF-Ray: not behind Cloudflare
    server.flush()
    [row] = rows_with_keys(server, CLOUDEVENTS, [event["id"]])
    assert {name: row[name] for name in CF_COLUMNS} == {name: None for name in CF_COLUMNS}


def test_an_event_without_time_gets_the_receive_time(server: FloeServer):
    event = {"specversion": "1.0", "id": unique("notime"), "source": new_source(), "type": "com.example.notime"}
    window = Window.open()
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON))
    window.close()
    rows = assert_stored(server, [event], window)  # expected_cloudevent: time = received_at
    assert rows[0]["time"] == rows[0]["received_at"]

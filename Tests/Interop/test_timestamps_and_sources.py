"""The timestamp policy and source attribution at the door (docs/design.md §2).

Event times a broken clock produces (2099, 1970) are replaced by the receipt time and kept in
`original_timestamp` (`floeoriginaltime` for CloudEvents), so they land in the hour they arrived; the policy
can be turned off and moved. Each row names the key or writeKey that sent it in `source_id`, never the key.
"""
from __future__ import annotations

import base64
import datetime as dt
import json

from api import rows_with_keys, segment_message, unique
from tables import CLOUDEVENTS, EVENTS

UTC = dt.timezone.utc


def micros(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1_000_000)


def metric(server, name: str, **labels) -> float:
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "") + " "
    return sum(float(line[len(wanted):]) for line in server.get("/metrics").text.splitlines() if line.startswith(wanted))


def test_event_times_out_of_range_get_the_receipt_time_and_keep_the_original(floe):
    server = floe()
    future, ancient, fine = (segment_message("track", timestamp="2099-01-01T00:00:00Z"),
                             segment_message("track", timestamp="1970-01-01T00:00:01Z"),
                             segment_message("track", timestamp="2026-11-20T10:15:30Z"))
    event = {"specversion": "1.0", "id": unique("ts"), "source": "/ts", "type": "com.example.ts",
             "time": "2099-05-05T00:00:00Z"}
    before = metric(server, "floe_event_times_adjusted_total", table="events")
    start = dt.datetime.now(UTC)
    assert server.post("/v1/batch", json.dumps({"batch": [future, ancient, fine]}).encode()).status_code == 200
    assert server.post("/events", json.dumps(event).encode(),
                       headers={"Content-Type": "application/cloudevents+json"}).status_code == 200
    end = dt.datetime.now(UTC)
    assert metric(server, "floe_event_times_adjusted_total", table="events") == before + 2
    assert metric(server, "floe_event_times_adjusted_total", table="cloudevents") >= 1
    partitions = [p["partition_key"] for p in server.get("/debug/status").json()["partitions"]]
    assert not [p for p in partitions if "2099" in p or "1970" in p], partitions
    server.flush()
    rows = {r["message_id"]: r for r in rows_with_keys(server, EVENTS, [m["messageId"] for m in (future, ancient, fine)])}
    window = (int(start.timestamp() * 1e6) - 1_000_000, int(end.timestamp() * 1e6) + 1_000_000)
    for message in (future, ancient):
        row = rows[message["messageId"]]
        assert window[0] <= row["timestamp"] <= window[1] and row["timestamp"] == row["received_at"], row
        assert row["original_timestamp"] == micros(message["timestamp"])
    assert rows[fine["messageId"]]["timestamp"] == micros(fine["timestamp"]), "times in range are kept"
    [ce] = rows_with_keys(server, CLOUDEVENTS, [event["id"]])
    assert window[0] <= ce["time"] <= window[1]
    assert ce["extensions"]["floeoriginaltime"] == "2099-05-05T00:00:00.000000Z"


def test_a_replaced_cloudevent_time_is_kept_even_when_the_event_named_an_extension_like_floes(floe):
    """Floe keeps the `time` it replaced as `floeoriginaltime`; an event that carried an extension of that name had
    its replaced time stored nowhere (the client's value was kept instead). An event whose time is kept keeps it."""
    server = floe()
    replaced = {"specversion": "1.0", "id": unique("ts-spoof"), "source": "/ts", "type": "com.example.ts",
                "time": "2099-01-01T00:00:00+14:00", "floeoriginaltime": "spoof"}
    kept = {**replaced, "id": unique("ts-kept"), "time": "2026-11-20T10:15:30Z"}
    assert server.post("/events", json.dumps([replaced, kept]).encode(),
                       headers={"Content-Type": "application/cloudevents-batch+json"}).status_code == 200
    binary_id = unique("ts-binary")
    binary = server.post("/events", b"{}", headers={
        "Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": binary_id, "ce-source": "/ts",
        "ce-type": "com.example.ts", "ce-time": "2099-01-01T00:00:00Z", "ce-floeoriginaltime": "client-value"})
    assert binary.status_code == 200, binary.text
    server.flush()
    ids = [replaced["id"], kept["id"], binary_id]
    rows = {r["id"]: r for r in rows_with_keys(server, CLOUDEVENTS, ids)}
    assert rows[replaced["id"]]["extensions"] == {"floeoriginaltime": "2098-12-31T10:00:00.000000Z"}
    assert rows[kept["id"]]["extensions"] == {"floeoriginaltime": "spoof"}
    assert rows[ids[2]]["extensions"] == {"floeoriginaltime": "2099-01-01T00:00:00.000000Z"}


def test_the_policy_can_be_moved_and_turned_off(floe):
    server = floe(env={"FLOE_MAX_FUTURE_MS": str(400 * 24 * 3_600_000), "FLOE_TIMESTAMP_FLOOR": "1960-01-01T00:00:00Z"})
    later = (dt.datetime.now(UTC) + dt.timedelta(days=300)).strftime("%Y-%m-%dT%H:00:00Z")
    kept = [segment_message("track", timestamp=later), segment_message("track", timestamp="1970-01-01T00:00:01Z")]
    assert server.post("/v1/batch", json.dumps({"batch": kept}).encode()).status_code == 200
    off = floe(env={"FLOE_ADJUST_TIMESTAMPS": "false"})
    sent = segment_message("track", timestamp="2099-01-01T00:00:00Z")
    assert off.post("/v1/batch", json.dumps({"batch": [sent]}).encode()).status_code == 200
    for target, messages in ((server, kept), (off, [sent])):
        target.flush()
        for row in rows_with_keys(target, EVENTS, [m["messageId"] for m in messages]):
            message = next(m for m in messages if m["messageId"] == row["message_id"])
            assert row["timestamp"] == micros(message["timestamp"]), row


def test_source_id_names_the_key_without_revealing_it(floe):
    server = floe(env={"AUTH_ENABLED": "true", "AUTH_TOKEN": "key-of-app-one"})
    one, two, body_key = segment_message("track"), segment_message("track"), segment_message("track")
    basic = "Basic " + base64.b64encode(b"key-of-app-one:").decode()
    assert server.post("/v1/batch", json.dumps({"batch": [one]}).encode(), headers={"Authorization": basic}).status_code == 200
    assert server.post("/v1/batch", json.dumps({"batch": [two]}).encode(),
                       headers={"X-API-Key": "key-of-app-one"}).status_code == 200
    assert server.post("/v1/batch", json.dumps({"batch": [body_key], "writeKey": "key-of-app-one"}).encode()).status_code == 200
    flushed = server.post("/debug/flush", headers={"X-API-Key": "key-of-app-one"})
    assert flushed.status_code == 200, flushed.text
    rows = rows_with_keys(server, EVENTS, [one["messageId"], two["messageId"], body_key["messageId"]])
    sources = {r["source_id"] for r in rows}
    assert len(rows) == 3 and len(sources) == 1, rows
    source = sources.pop()
    assert source.startswith("key-") and len(source) == 16 and "app-one" not in source


def test_without_auth_the_writekey_an_sdk_sends_still_tells_apps_apart(floe):
    server = floe()
    first, second, anonymous = segment_message("track"), segment_message("track"), segment_message("track")
    for message, key in ((first, b"app-a:"), (second, b"app-b:")):
        headers = {"Authorization": "Basic " + base64.b64encode(key).decode()}
        assert server.post("/v1/batch", json.dumps({"batch": [message]}).encode(), headers=headers).status_code == 200
    assert server.post("/v1/batch", json.dumps({"batch": [anonymous]}).encode()).status_code == 200
    server.flush()
    rows = {r["message_id"]: r["source_id"] for r in rows_with_keys(
        server, EVENTS, [first["messageId"], second["messageId"], anonymous["messageId"]])}
    assert rows[first["messageId"]] != rows[second["messageId"]] and rows[first["messageId"]].startswith("key-")
    assert rows[anonymous["messageId"]] is None

"""Every error status of docs/design.md §3 from a request that deserves it, in Floe's envelope
`{"success":false,"error":"...","errors":[...]}`, and nothing of a refused request stored; and per-event
acceptance: in a batch only the invalid events are refused, each recorded in the `rejected` table.

400, 413 and 415 share one server; strict batches, 429, 503 and 507 each need their own configuration.
"""
from __future__ import annotations

import gzip
import time

import pytest
import segment.analytics.request as segment_request
from segment.analytics.client import Client as SegmentClient

from api import (as_stored, assert_accepted, assert_error, assert_not_stored, assert_stored, deflated, dumps, gzipped,
                 rejected_rows, rejected_with, retry_after, rows_with_keys, segment_message, unique)
from corpus import CLOUDEVENTS_JSON, Window
from floe_server import FloeLauncher, FloeServer
from tables import CLOUDEVENTS, EVENTS


@pytest.fixture(scope="module")
def server(floe_launcher: FloeLauncher):
    server = floe_launcher.new("errors").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def strict(floe_launcher: FloeLauncher):
    server = floe_launcher.new("errors-strict", env={"FLOE_STRICT_BATCHES": "1"}).start()
    yield server
    server.stop()


def assert_partly_accepted(response, accepted: int, rejected: dict[int, str]) -> dict:
    """200 with `accepted` valid events and one `errors` entry per rejected index, its reasons naming the field."""
    body = assert_accepted(response, count=accepted)
    assert body["accepted"] == accepted and body["rejected"] == len(rejected), body
    errors = {e["index"]: e["reasons"] for e in body.get("errors", [])}
    assert set(errors) == set(rejected), f"rejected indexes {sorted(errors)}, want {sorted(rejected)}: {body}"
    for index, field in rejected.items():
        assert any(field.lower() in reason.lower() for reason in errors[index]), f"[{index}] {field}: {errors[index]}"
    return body


def assert_recorded(row: dict, route: str, index: int | None, field: str, sent) -> None:
    """A `rejected` row: where it came from, why, and the event as sent."""
    assert row["route"] == route and row["batch_index"] == index, row
    assert any(field.lower() in reason.lower() for reason in row["reasons"]), row["reasons"]
    assert row["event_json"] == sent, f"recorded {row['event']!r}, sent {sent!r}"
    assert row["event_bytes"] == len(row["event"].encode()), row
    assert row["request_id"] and row["received_at"] is not None, row


def cloudevent(**fields) -> dict:
    event = {"specversion": "1.0", "id": unique("ce"), "source": "/tests/errors", "type": "com.example.error",
             "data": {"x": 1}}
    event.update(fields)
    return {k: v for k, v in event.items() if v is not None}


# ---------------------------------------------------------------------- 400: malformed JSON


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/track", "/v1/import", "/events", "/events/batch"])
@pytest.mark.parametrize("body", [b'{"batch":[{"type":"track",', b"not json", b'{"a":1} trailing', b""],
                         ids=["truncated", "garbage", "trailing", "empty"])
def test_malformed_json_is_400(server: FloeServer, path: str, body: bytes):
    assert_error(server.post(path, body), 400, "json")


def test_a_utf8_byte_order_mark_before_the_json_is_skipped(server: FloeServer):
    """RFC 8259 lets a parser ignore a byte order mark, and some Windows tools write one; it was a 400 "malformed
    JSON", while backfill skipped it before a line. Only one, and only before the document."""
    window = Window.open()
    batch, single = segment_message("track"), segment_message("track")
    event = cloudevent()
    bom = b"\xef\xbb\xbf"
    assert_accepted(server.post("/v1/batch", bom + dumps({"batch": [batch]})), 1)
    assert_accepted(server.post("/v1/track", gzipped(bom + dumps(single)), headers={"Content-Encoding": "gzip"}), 1)
    assert_accepted(server.post("/events", bom + dumps(event), content_type=CLOUDEVENTS_JSON), 1)
    window.close()
    assert_stored(server, [as_stored(batch), as_stored(single)], window)
    assert_stored(server, [event], window)
    assert_error(server.post("/v1/track", bom + bom + dumps(segment_message("track"))), 400, "json")


def test_malformed_gzip_is_400(server: FloeServer):
    body = gzipped(dumps({"batch": [segment_message("track")]}))[:-12]
    assert_error(server.post("/v1/batch", body, headers={"Content-Encoding": "gzip"}), 400, "gzip")


@pytest.mark.parametrize("body", [b"[]", b'"batch"', b'{"batch":{}}', b'{"batch":"x"}', b'{"events":[]}'],
                         ids=["array", "string", "batch-object", "batch-string", "no-batch"])
def test_a_batch_body_of_the_wrong_shape_is_400(server: FloeServer, body: bytes):
    assert_error(server.post("/v1/batch", body), 400, "batch")


@pytest.mark.parametrize("body", [b'{"events":{}}', b'"x"', b"42"])
def test_a_cloudevents_batch_of_the_wrong_shape_is_400(server: FloeServer, body: bytes):
    assert_error(server.post("/events/batch", body), 400)


# ---------------------------------------------------------------------- 400: Segment validation

SEGMENT_RULES = [
    # (name, message, field the error names)
    ("no-user-or-anonymous-id", segment_message("identify", userId=None), "userId"),
    ("empty-user-id", segment_message("identify", userId=""), "userId"),
    ("track-without-event", segment_message("track", event=None), "event"),
    ("alias-without-previous-id", segment_message("alias", previousId=None), "previousId"),
    ("group-without-group-id", segment_message("group", groupId=None), "groupId"),
    ("unknown-type", segment_message("track", type="purchase"), "type"),
    ("missing-type", segment_message("track", type=None), "type"),
    ("bad-timestamp", segment_message("track", timestamp="yesterday at noon"), "timestamp"),
    ("impossible-date", segment_message("track", timestamp="2026-02-30T10:00:00Z"), "timestamp"),
    ("numeric-timestamp", segment_message("track", timestamp=1700000000), "timestamp"),
    ("bad-sent-at", segment_message("track", sentAt="2026-13-01T00:00:00Z"), "sentAt"),
    ("properties-array", segment_message("track", properties=[1, 2]), "properties"),
    ("properties-string", segment_message("page", properties="{}"), "properties"),
    ("traits-number", segment_message("identify", traits=5), "traits"),
    ("context-string", segment_message("track", context="ctx"), "context"),
    ("integrations-array", segment_message("track", integrations=[]), "integrations"),
    ("event-object", segment_message("track", event={"name": "x"}), "event"),
    ("message-not-object", "track", "object"),
]


@pytest.mark.parametrize("message,field", [(m, f) for _, m, f in SEGMENT_RULES], ids=[n for n, _, _ in SEGMENT_RULES])
def test_each_validation_rule_rejects_only_its_event_in_a_batch(server: FloeServer, message, field: str):
    good = segment_message("track")
    window = Window.open()
    assert_partly_accepted(server.post("/v1/batch", dumps({"batch": [good, message]})), 1, {1: field})
    window.close()
    assert_stored(server, [as_stored(good)], window)
    if isinstance(message, dict):
        assert_not_stored(server, EVENTS, [message["messageId"]])
        [row] = [r for r in rejected_with(server, "messageId", message["messageId"]) if r["route"] == "/v1/batch"]
        assert_recorded(row, "/v1/batch", 1, field, message)
        assert row["format"] == "segment" and row["source_id"] is None, row


@pytest.mark.parametrize("message,field", [(m, f) for _, m, f in SEGMENT_RULES], ids=[n for n, _, _ in SEGMENT_RULES])
def test_strict_batches_refuse_the_whole_batch(strict: FloeServer, message, field: str):
    good = segment_message("track")
    body = assert_error(strict.post("/v1/batch", dumps({"batch": [good, message]})), 400, field)
    assert any(e.startswith("batch[1]") for e in body["errors"]), f"the error names the index: {body}"
    assert not any(e.startswith("batch[0]") for e in body["errors"]), f"the good message has no error: {body}"
    keys = [good["messageId"]] + ([message["messageId"]] if isinstance(message, dict) else [])
    assert_not_stored(strict, EVENTS, keys)
    if isinstance(message, dict):
        assert not rejected_with(strict, "messageId", message["messageId"], flush=False)


def test_a_strict_refusal_lists_the_first_100_problems_and_counts_the_rest(strict: FloeServer):
    user = unique("strict-many")
    batch = [{"type": "track", "userId": user} for _ in range(150)]  # each lacks `event`
    body = assert_error(strict.post("/v1/batch", dumps({"batch": batch})), 400, "event")
    assert body["error"] == "validation failed: 150 errors" and body["errors_omitted"] == 50, {**body, "errors": "…"}
    assert body["errors"] == [f"batch[{i}].event: is required for track" for i in range(100)], body["errors"][:3]


SINGLE_RULES = [(n, m, f) for n, m, f in SEGMENT_RULES if isinstance(m, dict) and n not in ("unknown-type", "missing-type")]


@pytest.mark.parametrize("message,field", [(m, f) for _, m, f in SINGLE_RULES], ids=[n for n, _, _ in SINGLE_RULES])
def test_each_validation_rule_rejects_a_single_message_and_records_it(server: FloeServer, message: dict, field: str):
    # A new messageId: the same message was rejected in a batch above, and is recorded once whatever the route.
    message = dict(message, messageId=unique("single"))
    response = server.post(f"/v1/{message['type']}", dumps(message))
    assert_error(response, 400, field)
    assert_not_stored(server, EVENTS, [message["messageId"]])
    [row] = rejected_with(server, "messageId", message["messageId"], flush=False)
    assert_recorded(row, f"/v1/{message['type']}", None, field, message)


def test_a_batch_with_several_bad_events_stores_the_good_ones_and_records_every_bad_one(server: FloeServer):
    batch = [
        segment_message("track"),                           # 0: fine
        segment_message("track", event=None),               # 1: event
        segment_message("identify", userId=None),           # 2: userId
        segment_message("page"),                            # 3: fine
        segment_message("alias", previousId=None),          # 4: previousId
        segment_message("group", groupId=None),             # 5: groupId
        segment_message("track", type="bogus"),             # 6: type
        segment_message("screen", timestamp="not a time"),  # 7: timestamp
        segment_message("track", properties=["x"]),         # 8: properties
    ]
    wanted = {1: "event", 2: "userId", 4: "previousId", 5: "groupId", 6: "type", 7: "timestamp", 8: "properties"}
    window = Window.open()
    response = server.post("/v1/batch", dumps({"batch": batch}), headers={"X-Request-Id": "req-several-bad"})
    assert_partly_accepted(response, 2, wanted)
    window.close()
    assert_stored(server, [as_stored(batch[0]), as_stored(batch[3])], window)
    assert_not_stored(server, EVENTS, [batch[i]["messageId"] for i in wanted])
    rows = [r for r in rejected_rows(server, flush=False) if r["request_id"] == "req-several-bad"]
    assert sorted(r["batch_index"] for r in rows) == sorted(wanted), rows
    for row in rows:
        assert_recorded(row, "/v1/batch", row["batch_index"], wanted[row["batch_index"]], batch[row["batch_index"]])


def test_a_retried_batch_records_its_rejected_event_once(server: FloeServer):
    good, bad = segment_message("track"), segment_message("track", event=None)
    body = dumps({"batch": [good, bad]})
    for _ in range(3):
        assert_partly_accepted(server.post("/v1/batch", body), 1, {1: "event"})
    server.flush()
    assert len(rows_with_keys(server, EVENTS, [good["messageId"]])) == 1
    assert len(rejected_with(server, "messageId", bad["messageId"], flush=False)) == 1


def test_an_event_over_the_per_event_limit_is_rejected_on_its_own_cut_at_the_limit(server: FloeServer):
    good, big = segment_message("track"), padded_track(40 << 10)
    assert_partly_accepted(server.post("/v1/batch", dumps({"batch": [good, big]})), 1, {1: "limit"})
    server.flush()
    assert len(rows_with_keys(server, EVENTS, [good["messageId"]])) == 1
    [row] = [r for r in rejected_rows(server, flush=False) if big["messageId"] in r["event"]]
    assert row["event_bytes"] == len(dumps(big)) and len(row["event"].encode()) == 32 << 10, \
        (row["event_bytes"], len(row["event"].encode()))
    assert row["event_json"] is None and dumps(big).decode().startswith(row["event"]), "the event is cut, not changed"


def test_rejections_are_counted_per_reason(server: FloeServer):
    def count(reason: str) -> float:
        text = server.get("/metrics").text
        prefix = f'floe_events_rejected_total{{reason="{reason}"}} '
        return sum(float(line[len(prefix):]) for line in text.splitlines() if line.startswith(prefix))

    def stored(table: str) -> float:
        prefix = f'floe_events_accepted_total{{table="{table}"}} '
        return sum(float(line[len(prefix):]) for line in server.get("/metrics").text.splitlines() if line.startswith(prefix))

    before, rows = count("groupId: is required for group"), stored("rejected")
    batch = [segment_message("group", groupId=None), segment_message("group", groupId=None), segment_message("track")]
    assert_partly_accepted(server.post("/v1/batch", dumps({"batch": batch})), 1, {0: "groupId", 1: "groupId"})
    assert count("groupId: is required for group") == before + 2
    assert stored("rejected") == rows + 2
    # A retry of the batch stores nothing again, and counts nothing again.
    assert_partly_accepted(server.post("/v1/batch", dumps({"batch": batch})), 1, {0: "groupId", 1: "groupId"})
    assert count("groupId: is required for group") == before + 2
    assert stored("rejected") == rows + 2


@pytest.mark.parametrize("envelope, field", [
    ({"sentAt": "last tuesday"}, "sentAt"), ({"integrations": 5}, "integrations"), ({"integrations": "x"}, "integrations"),
    ({"integrations": [1]}, "integrations"), ({"context": 5}, "context"), ({"context": [1, 2]}, "context"),
], ids=["sent-at", "integrations-number", "integrations-string", "integrations-array", "context-number", "context-array"])
def test_a_bad_batch_envelope_is_400(server: FloeServer, envelope: dict, field: str):
    """The batch's own members are the whole request's: one of the wrong shape refuses it, as openapi.yaml's
    SegmentBatch describes them (sentAt a timestamp, context and integrations objects)."""
    message = segment_message("track")
    assert_error(server.post("/v1/batch", dumps({"batch": [message], **envelope})), 400, field)
    assert_not_stored(server, EVENTS, [message["messageId"]])
    assert not rejected_with(server, "messageId", message["messageId"], flush=False)


def test_null_batch_envelope_members_count_as_absent(server: FloeServer):
    message = segment_message("track")
    body = {"batch": [message], "context": None, "integrations": None, "sentAt": None}
    assert server.post("/v1/batch", dumps(body)).json()["accepted"] == 1


# ---------------------------------------------------------------------- 400: CloudEvents validation

CLOUDEVENT_RULES = [
    ("missing-id", cloudevent(id=None), "id"),
    ("empty-id", cloudevent(id=""), "id"),
    ("missing-source", cloudevent(source=None), "source"),
    ("missing-type", cloudevent(type=None), "type"),
    ("missing-specversion", cloudevent(specversion=None), "specversion"),
    ("specversion-0.3", cloudevent(specversion="0.3"), "specversion"),
    ("specversion-2.0", cloudevent(specversion="2.0"), "specversion"),
    ("specversion-number", cloudevent(specversion=1.0), "specversion"),
    ("bad-time", cloudevent(time="half past nine"), "time"),
    ("id-number", cloudevent(id=7), "id"),
    ("data-base64-number", cloudevent(data=None, data_base64=12), "data_base64"),
    ("data-base64-not-base64", cloudevent(data=None, data_base64="!!!not base64"), "data_base64"),
    ("data-and-data-base64", cloudevent(data_base64="aGk="), "data_base64"),
    # CloudEvents 1.0: attribute names are lower-case ASCII letters and digits.
    ("extension-upper-case", cloudevent(myExt="x"), "extensions"),
    ("extension-dash", cloudevent(**{"my-ext": "x"}), "extensions"),
    ("extension-empty-name", cloudevent(**{"": "x"}), "extensions"),
    ("extension-zero-byte", cloudevent(**{"ext\u0000": "x"}), "extensions"),
]


@pytest.mark.parametrize("event,field", [(e, f) for _, e, f in CLOUDEVENT_RULES], ids=[n for n, _, _ in CLOUDEVENT_RULES])
def test_each_cloudevent_rule_rejects_the_event_and_records_it(server: FloeServer, event: dict, field: str):
    assert_error(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON), 400, field)
    if isinstance(event.get("id"), str) and event["id"]:
        assert_not_stored(server, CLOUDEVENTS, [event["id"]])
        [row] = rejected_with(server, "id", event["id"], flush=False)
        assert_recorded(row, "/events", None, field, event)
        assert row["format"] == "cloudevents"


@pytest.mark.parametrize("missing", ["id", "source", "type", "specversion"])
def test_binary_mode_without_a_required_attribute_is_400_and_recorded(server: FloeServer, missing: str):
    event_id = unique("bin")
    headers = {"ce-specversion": "1.0", "ce-id": event_id, "ce-source": "/tests/bin", "ce-type": "com.example.bin",
               "Content-Type": "application/json"}
    del headers[f"ce-{missing}"]
    if missing == "specversion":
        headers["ce-specversion"] = "0.3"  # without any ce-specversion it is not binary mode at all
    response = server.http.post(server.url + "/events", headers=headers, data=b'{"a":1}', timeout=60)
    assert_error(response, 400, missing)
    if missing != "id":
        assert_not_stored(server, CLOUDEVENTS, [event_id])
        [row] = rejected_with(server, "ce-id", event_id, flush=False)
        assert row["event_json"]["data"] == '{"a":1}' and row["route"] == "/events", row


def test_binary_mode_with_an_attribute_name_cloudevents_does_not_allow_is_400(server: FloeServer):
    headers = {"ce-specversion": "1.0", "ce-id": unique("bin"), "ce-source": "/tests/bin", "ce-type": "com.example.bin",
               "ce-my-ext": "x", "Content-Type": "application/json"}
    response = server.http.post(server.url + "/events", headers=headers, data=b'{"a":1}', timeout=60)
    assert_error(response, 400, "extensions")


def test_an_attribute_sent_twice_keeps_its_last_value(server: FloeServer):
    event_id = unique("twice")
    body = ('{"specversion":"1.0","id":"%s","source":"/tests/twice","type":"com.example.twice",'
            '"myext":"first","myext":"last","data":{"x":1}}' % event_id).encode()
    assert_accepted(server.post("/events", body, content_type=CLOUDEVENTS_JSON), count=1)
    server.flush()
    [row] = rows_with_keys(server, CLOUDEVENTS, [event_id])
    assert row["extensions"] == {"myext": "last"}, row["extensions"]


def test_a_cloudevents_batch_stores_the_good_events_and_lists_every_error_with_its_index(server: FloeServer):
    batch = [cloudevent(), cloudevent(id=None), cloudevent(), cloudevent(source=None, type=None),
             cloudevent(specversion="0.3")]
    window = Window.open()
    body = assert_partly_accepted(server.post("/events/batch", dumps({"events": batch})), 2,
                                  {1: "id", 3: "source", 4: "specversion"})
    window.close()
    reasons = {e["index"]: e["reasons"] for e in body["errors"]}
    assert len(reasons[3]) == 2 and any("type" in r for r in reasons[3]), reasons
    assert_stored(server, [batch[0], batch[2]], window)
    assert_not_stored(server, CLOUDEVENTS, [batch[3]["id"], batch[4]["id"]])
    for index in (3, 4):
        [row] = rejected_with(server, "id", batch[index]["id"], flush=False)
        assert_recorded(row, "/events/batch", index, "source" if index == 3 else "specversion", batch[index])


def test_strict_cloudevents_batches_refuse_the_whole_batch(strict: FloeServer):
    batch = [cloudevent(), cloudevent(id=None), cloudevent(), cloudevent(source=None, type=None)]
    body = assert_error(strict.post("/events/batch", dumps({"events": batch})), 400)
    assert len(body["errors"]) == 3, body["errors"]
    assert_not_stored(strict, CLOUDEVENTS, [e["id"] for e in batch if "id" in e])


# ---------------------------------------------------------------------- 413


def padded_track(size: int) -> dict:
    return segment_message("track", properties={"pad": "x" * size})


def test_a_single_message_over_32_kb_is_413(server: FloeServer):
    message = padded_track(40 << 10)
    assert_error(server.post("/v1/track", dumps(message)), 413, "limit")
    assert_not_stored(server, EVENTS, [message["messageId"]])


def test_a_single_cloudevent_over_32_kb_is_413(server: FloeServer):
    event = cloudevent(data={"pad": "y" * (40 << 10)})
    assert_error(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON), 413, "limit")
    assert_not_stored(server, CLOUDEVENTS, [event["id"]])


def test_a_batch_over_the_limit_is_413(server: FloeServer):
    batch = [padded_track(20 << 10) for _ in range(60)]  # ~1.2 MB
    assert_error(server.post("/v1/batch", dumps({"batch": batch})), 413, "limit")
    assert_not_stored(server, EVENTS, [m["messageId"] for m in batch])


def test_a_batch_just_under_the_limit_is_accepted(server: FloeServer):
    batch = [padded_track(20 << 10) for _ in range(22)]  # ~450 KB, under Segment's 500 KB
    window = Window.open()
    assert_accepted(server.post("/v1/batch", dumps({"batch": batch})), count=len(batch))
    window.close()
    server.flush()


def test_the_default_batch_limit_is_500_kb(server: FloeServer):
    """docs/design.md §3: 'default 500 KB decompressed for /v1/batch' (the Segment API's limit)."""
    batch = [padded_track(20 << 10) for _ in range(30)]  # ~615 KB
    assert_error(server.post("/v1/batch", dumps({"batch": batch})), 413, "limit")
    assert_not_stored(server, EVENTS, [m["messageId"] for m in batch])


@pytest.mark.parametrize("path,encoding", [("/v1/batch", "gzip"), ("/v1/track", "gzip"), ("/v1/batch", "deflate"),
                                           ("/events/batch", "gzip")])
def test_a_compression_bomb_is_413(server: FloeServer, path: str, encoding: str):
    """A few KB on the wire that inflate past the limit are refused on the inflated size."""
    message = padded_track(8 << 20)  # 8 MiB of 'x'
    body = dumps({"batch": [message]} if path == "/v1/batch" else message)
    wire = gzipped(body) if encoding == "gzip" else deflated(body)
    assert len(wire) < 16 << 10, f"bomb is {len(wire)} bytes"
    assert_error(server.post(path, wire, headers={"Content-Encoding": encoding}), 413, "limit")
    assert_not_stored(server, EVENTS, [message["messageId"]])


# ---------------------------------------------------------------------- 415


@pytest.mark.parametrize("content_type", ["application/xml", "text/html", "multipart/form-data; boundary=x",
                                          "application/x-www-form-urlencoded", "image/png"])
@pytest.mark.parametrize("path", ["/v1/batch", "/v1/track", "/events/batch"])
def test_a_non_json_content_type_is_415(server: FloeServer, path: str, content_type: str):
    message = segment_message("track")
    body = dumps({"batch": [message]} if path == "/v1/batch" else message)
    assert_error(server.post(path, body, content_type=content_type), 415, "content type")
    assert_not_stored(server, EVENTS, [message["messageId"]])


def test_a_structured_cloudevent_with_a_non_json_content_type_is_415(server: FloeServer):
    event = cloudevent()
    assert_error(server.post("/events", dumps(event), content_type="application/xml"), 415)
    assert_not_stored(server, CLOUDEVENTS, [event["id"]])


@pytest.mark.parametrize("encoding", ["br", "compress", "zstd", "gzip, br"])
def test_an_unknown_content_encoding_is_415(server: FloeServer, encoding: str):
    message = segment_message("track")
    response = server.post("/v1/batch", gzip.compress(dumps({"batch": [message]})),
                           headers={"Content-Encoding": encoding})
    assert_error(response, 415, "encoding")
    assert_not_stored(server, EVENTS, [message["messageId"]])


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "text/plain", "APPLICATION/JSON",
                                          "application/vnd.api+json"])
def test_json_content_types_are_accepted(server: FloeServer, content_type: str):
    message = segment_message("track")
    assert_accepted(server.post("/v1/batch", dumps({"batch": [message]}), content_type=content_type), count=1)


# ---------------------------------------------------------------------- 429


def test_rate_limit_answers_429_with_retry_after(floe):
    server = floe(env={"FLOE_RATE_LIMIT": "2"})
    sent, rejected, statuses = [], [], []
    for _ in range(10):
        message = segment_message("track")
        response = server.post("/v1/batch", dumps({"batch": [message]}))
        statuses.append(response.status_code)
        (sent if response.status_code == 200 else rejected).append((message, response))
    assert set(statuses) == {200, 429}, statuses
    assert 2 <= len(sent) <= 5, f"2 requests/s with a burst allows a handful at once: {statuses}"
    assert statuses.index(429) == len(sent) and 200 not in statuses[len(sent):], \
        f"once the bucket is empty every quick request is refused: {statuses}"
    for _, response in rejected:
        assert_error(response, 429, "rate limit")
        assert 1 <= retry_after(response) <= 2, response.headers
    wait = retry_after(rejected[-1][1])
    time.sleep(wait + 0.1)
    assert_accepted(server.post("/v1/batch", dumps({"batch": [segment_message("track")]})))
    assert_not_stored(server, EVENTS, [m["messageId"] for m, _ in rejected])


def test_rate_limit_applies_to_cloudevents_and_single_messages(floe):
    server = floe(env={"FLOE_RATE_LIMIT": "2"})
    statuses = [server.post("/events", dumps(cloudevent()), content_type=CLOUDEVENTS_JSON).status_code
                for _ in range(6)]
    statuses += [server.post("/v1/t", dumps(segment_message("track"))).status_code for _ in range(3)]
    assert statuses[-3:] == [429, 429, 429], statuses


def test_segment_sdk_waits_out_429_and_delivers_everything_once(floe):
    """The SDK retries a 429 after Retry-After with the same batch; every message ends up stored once."""
    server = floe(env={"FLOE_RATE_LIMIT": "2"})
    errors = []
    client = SegmentClient("key", host=server.url, upload_size=2, upload_interval=0.01,
                           on_error=lambda error, batch: errors.append(error))
    statuses = []
    hook = lambda response, *args, **kwargs: statuses.append(response.status_code)  # noqa: E731
    segment_request._session.hooks["response"].append(hook)
    window = Window.open()
    try:
        sent = [client.track(user_id=f"rl-{i}", event="Rate Limited")[1] for i in range(16)]
        client.flush()
        client.join()
    finally:
        segment_request._session.hooks["response"].remove(hook)
    window.close()
    assert not errors, errors
    assert 429 in statuses, f"the test did not hit the rate limit: {statuses}"
    server.flush()
    rows = rows_with_keys(server, EVENTS, [m["messageId"] for m in sent])
    assert sorted(r["message_id"] for r in rows) == sorted(m["messageId"] for m in sent)


# ---------------------------------------------------------------------- 507 and 503


def hour_batch(count: int) -> list[dict]:
    """Track messages of one partition (same type, same hour)."""
    return [segment_message("track", timestamp=f"2026-11-25T06:{i:02d}:00Z") for i in range(count)]


def test_a_full_partition_answers_507(floe):
    """ICEBERG_BUFFER_SIZE = FLOE_MAX_PARTITION_EVENTS = 5: a partition holding 3 cannot take 3 more."""
    server = floe(env={"FLOE_MAX_PARTITION_EVENTS": "5", "ICEBERG_BUFFER_SIZE": "5"})
    first, second, other = hour_batch(3), hour_batch(3), [segment_message("identify")]
    window = Window.open()
    assert_accepted(server.post("/v1/batch", dumps({"batch": first})), count=3)
    response = server.post("/v1/batch", dumps({"batch": second}))
    assert_error(response, 507, "partition")
    assert retry_after(response) >= 1
    assert_accepted(server.post("/v1/batch", dumps({"batch": other})))  # another partition has room
    window.close()

    assert_not_stored(server, EVENTS, [m["messageId"] for m in second])
    assert_stored(server, [as_stored(m) for m in first + other], window, flush=False)
    # Flushed, the partition takes events again.
    assert_accepted(server.post("/v1/batch", dumps({"batch": second})), count=3)


def test_a_batch_larger_than_a_partition_answers_507(floe):
    server = floe(env={"FLOE_MAX_PARTITION_EVENTS": "5", "ICEBERG_BUFFER_SIZE": "5"})
    batch = hour_batch(6)
    assert_error(server.post("/v1/batch", dumps({"batch": batch})), 507)
    assert_not_stored(server, EVENTS, [m["messageId"] for m in batch])


def test_a_full_cloudevents_partition_answers_507(floe):
    server = floe(env={"FLOE_MAX_PARTITION_EVENTS": "2", "ICEBERG_BUFFER_SIZE": "2"})
    events = [cloudevent(time="2026-11-25T07:00:00Z") for _ in range(3)]
    response = server.post("/events/batch", dumps(events), content_type="application/cloudevents-batch+json")
    assert_error(response, 507)
    assert_not_stored(server, CLOUDEVENTS, [e["id"] for e in events])


def test_the_buffer_byte_budget_answers_503(floe, tmp_path):
    config = tmp_path / "floe.json"
    config.write_text('{"buffer": {"max_bytes": 4000}}')
    server = floe(env={"FLOE_CONFIG": str(config)})
    small = [segment_message("track")]
    big = [padded_track(3000), padded_track(3000)]
    assert_accepted(server.post("/v1/batch", dumps({"batch": small})))
    response = server.post("/v1/batch", dumps({"batch": big}))
    assert_error(response, 503, "budget")
    assert retry_after(response) >= 1
    assert_not_stored(server, EVENTS, [m["messageId"] for m in big])
    # The flush emptied the buffer: the budget has room again.
    assert_accepted(server.post("/v1/batch", dumps({"batch": big[:1]})))


@pytest.mark.parametrize("megabytes", [5, 50, 100])
def test_an_oversized_body_from_a_client_that_sends_it_all_first_is_answered_or_reset(server: FloeServer,
                                                                                     megabytes: int):
    """Python's urllib sends `Connection: close`, no `Expect: 100-continue`, and reads only after sending the
    whole body: Floe reads up to 64 MiB past the limit and answers 413, or closes the connection (a reset)."""
    import urllib.error
    import urllib.request

    body = dumps({"batch": [segment_message("track", properties={"p": "x" * (megabytes << 20)})]})
    request = urllib.request.Request(server.url + "/v1/batch", data=body, headers={"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        urllib.request.urlopen(request, timeout=20)
        raise AssertionError("an oversized body was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 413, error.read()
    except (urllib.error.URLError, ConnectionError) as error:
        assert megabytes > 64, f"{megabytes} MB: {error!r} instead of 413"
        assert "reset" in repr(error).lower() or "broken pipe" in repr(error).lower(), repr(error)
    assert time.monotonic() - started < 15, "the client waited for its timeout"
    assert server.get("/health").status_code == 200

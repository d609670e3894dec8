"""Per-event acceptance with the real SDKs (docs/design.md §3): one malformed event among 99 valid ones.

Segment's and RudderStack's Python SDKs send a `track` whose `event` is "" (the SDKs accept any string; Floe's
validation, like Segment's API, needs a name), batched with 99 valid ones; the CloudEvents SDK's events are
sent as one batch with one event whose `source` is missing. The SDK must see success; the 99 must land in their
table and the one in `rejected`, exactly once, across a SIGKILL between receipt and flush and a replay of the
same request afterwards (what an SDK retry after a lost answer looks like).
"""
from __future__ import annotations

import json

import pytest
import requests
import rudderstack.analytics.request as rudder_request
import segment.analytics.request as segment_request
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as CoreCloudEvent
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient

from api import Recorder, dumps, rejected_rows, rows_with_keys, segment_message, unique
from tables import CLOUDEVENTS, EVENTS

BATCH_JSON = "application/cloudevents-batch+json"


def assert_once(server, shape, keys: list[str]) -> None:
    rows = rows_with_keys(server, shape, keys)
    counts = {}
    for row in rows:
        counts[row[shape.key]] = counts.get(row[shape.key], 0) + 1
    assert sorted(counts) == sorted(keys) and set(counts.values()) == {1}, \
        f"{len(rows)} rows for {len(keys)} events; repeated: {[k for k, n in counts.items() if n > 1][:5]}"


@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
def test_one_malformed_event_among_99_with_the_sdk_survives_a_crash_exactly_once(floe, sdk: str):
    server = floe()
    Client, session = (SegmentClient, segment_request._session) if sdk == "segment" \
        else (RudderClient, rudder_request._session)
    errors = []
    client = Client("write-key", host=server.url, upload_size=100, upload_interval=5, max_retries=0,
                    on_error=lambda error, batch: errors.append(error))
    user = unique(sdk)
    with Recorder(session) as recorder:
        for i in range(100):
            client.track(user_id=user, event="" if i == 1 else f"Step {i}", properties={"i": i})
        client.flush()
        client.join()
    assert not errors, errors
    assert recorder.statuses() == [200], recorder.statuses()
    [body] = recorder.bodies()
    answer = recorder.requests[0]
    sent = body["batch"]
    bad = [m for m in sent if m["event"] == ""]
    assert len(sent) == 100 and len(bad) == 1

    server.restart("kill")  # between receipt and flush: nothing was committed yet
    again = requests.post(server.url + "/v1/batch", data=dumps(body), headers={"Content-Type": "application/json"},
                          timeout=60)
    assert again.status_code == 200 and again.json()["duplicates"] == 99, again.text
    assert again.json()["rejected"] == 1 and again.json()["errors"][0]["reasons"] == ["event: is required for track"]
    server.flush()

    assert_once(server, EVENTS, [m["messageId"] for m in sent if m["event"]])
    recorded = [r for r in rejected_rows(server, flush=False) if bad[0]["messageId"] in r["event"]]
    assert len(recorded) == 1, recorded
    assert json.loads(recorded[0]["event"]) == bad[0] and recorded[0]["route"] == "/v1/batch"
    assert answer[0].url.endswith("/v1/batch")


def test_one_malformed_cloudevent_among_99_from_the_sdk_survives_a_crash_exactly_once(floe):
    server = floe()
    source = "/tests/" + unique("ce-sdk")
    sent = [json.loads(ce_http.to_structured(CoreCloudEvent({"type": "com.example.perevent", "source": source},
                                                            {"n": n}), JSONFormat()).body) for n in range(100)]
    del sent[1]["source"]
    body = dumps(sent)
    first = requests.post(server.url + "/events/batch", data=body, headers={"Content-Type": BATCH_JSON}, timeout=60)
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == 99 and first.json()["rejected"] == 1
    assert first.json()["errors"] == [{"index": 1, "reasons": ["source: is required"]}]

    server.restart("kill")
    again = requests.post(server.url + "/events/batch", data=body, headers={"Content-Type": BATCH_JSON}, timeout=60)
    assert again.status_code == 200 and again.json()["duplicates"] == 99, again.text
    server.flush()

    assert_once(server, CLOUDEVENTS, [e["id"] for i, e in enumerate(sent) if i != 1])
    recorded = [r for r in rejected_rows(server, flush=False) if sent[1]["id"] in r["event"]]
    assert len(recorded) == 1 and recorded[0]["format"] == "cloudevents" and recorded[0]["batch_index"] == 1, recorded


def test_a_cloudevent_type_too_long_for_a_partition_path_is_rejected_and_the_rest_commit(floe):
    """A `type` names a partition directory (`type=…`, at most 255 bytes on a file system): one too long to name
    it is refused on its own, instead of being acknowledged and then failing every flush of the table."""
    server = floe()
    source = "/tests/" + unique("ce-long-type")
    sent = [json.loads(ce_http.to_structured(CoreCloudEvent({"type": "com.example.fine", "source": source},
                                                            {"n": n}), JSONFormat()).body) for n in range(3)]
    sent[1]["type"] = "com.example." + "\u00e9" * 100  # 212 bytes, 612 percent-encoded
    first = requests.post(server.url + "/events/batch", data=dumps(sent), headers={"Content-Type": BATCH_JSON},
                          timeout=60)
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == 2 and first.json()["rejected"] == 1
    assert first.json()["errors"] == [{"index": 1, "reasons": [
        "type: is too long to name a partition (at most 200 bytes percent-encoded)"]}]
    single = requests.post(server.url + "/events", data=dumps(sent[1]), timeout=60,
                           headers={"Content-Type": "application/cloudevents+json"})
    assert single.status_code == 400 and "too long to name a partition" in single.text, single.text
    server.flush()
    assert_once(server, CLOUDEVENTS, [sent[0]["id"], sent[2]["id"]])
    recorded = [r for r in rejected_rows(server, flush=False) if sent[1]["id"] in r["event"]]
    assert len(recorded) == 1 and recorded[0]["format"] == "cloudevents", recorded


LONE_SURROGATE = "messageId: is not valid Unicode: it holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair)"


def test_an_id_with_half_a_surrogate_pair_is_rejected_instead_of_taken_for_another(floe):
    """JSON lets `\\ud83d` (half an emoji, as a JavaScript string cut in the middle gives) through; decoded it is U+FFFD,
    so two such ids that differ only there were one id: the second event was answered as a duplicate and never
    stored. Such an id is refused with its reason; a whole pair, and a lone surrogate elsewhere, are fine."""
    server = floe()
    user = unique("surrogate")
    raw = ('{"batch":['
           f'{{"type":"track","userId":"{user}","event":"x","messageId":"{user}-\\ud83d"}},'
           f'{{"type":"track","userId":"{user}","event":"x","messageId":"{user}-\\ud83e"}},'
           f'{{"type":"track","userId":"{user}","event":"x","messageId":"{user}-\\udc00x"}},'
           f'{{"type":"track","userId":"{user}","event":"x","messageId":"{user}-\\ud83d\\ude00"}},'
           f'{{"type":"track","userId":"{user}","event":"x \\ud83d","messageId":"{user}-plain"}}]}}')
    answer = requests.post(server.url + "/v1/batch", data=raw.encode(), timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["rejected"], body["duplicates"]) == (2, 3, 0), body
    assert body["errors"] == [{"index": i, "reasons": [LONE_SURROGATE]} for i in range(3)], body
    cloud = requests.post(server.url + "/events", timeout=60, headers={"Content-Type": "application/cloudevents+json"},
                          data=b'{"specversion":"1.0","id":"a\\udbff","source":"/s","type":"t"}')
    assert cloud.status_code == 400 and "id: is not valid Unicode" in cloud.text, cloud.text
    server.flush()
    assert_once(server, EVENTS, [f"{user}-\U0001F600", f"{user}-plain"])


def test_an_answer_lists_the_first_100_rejected_events_and_counts_the_rest(floe):
    """A batch of 250 events, 150 of them invalid: all 150 are counted and recorded in `rejected`, the answer lists
    the first 100 (by position) and says how many it left out, so a batch of empty objects does not come back as
    an answer thirty times its size."""
    server = floe()
    user = unique("many-rejected")
    batch = [{"type": "track", "userId": user, "messageId": f"{user}-{i}", "event": "Fine"} if i % 5 < 2
             else {"type": "track", "userId": user, "messageId": f"{user}-{i}"} for i in range(250)]
    answer = requests.post(server.url + "/v1/batch", data=dumps({"batch": batch}), timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["rejected"], body["errors_omitted"]) == (100, 150, 50), {**body, "errors": "…"}
    invalid = [i for i in range(250) if i % 5 >= 2]
    assert [e["index"] for e in body["errors"]] == invalid[:100]
    assert all(e["reasons"] == ["event: is required for track"] for e in body["errors"])
    few = requests.post(server.url + "/v1/batch", data=dumps({"batch": batch[:5]}), timeout=60).json()
    assert few["rejected"] == 3 and len(few["errors"]) == 3 and "errors_omitted" not in few, few
    recorded = [r for r in rejected_rows(server) if user in r["event"]]
    assert len(recorded) == 150, len(recorded)


def test_the_same_invalid_event_at_several_positions_is_recorded_at_each_and_a_retry_adds_none(floe):
    """An invalid event without a messageId has no identity of its own: it is told apart by route, position and
    bytes (docs/design.md §2), so three copies in one batch are three rows, and the same batch sent again is a
    retry that adds none."""
    server = floe()
    user = unique("same-invalid")
    invalid = {"type": "track", "userId": user}
    body = dumps({"batch": [invalid, segment_message("track", userId=user), invalid, invalid]})
    for _ in range(2):
        answer = requests.post(server.url + "/v1/batch", data=body, timeout=60)
        assert answer.status_code == 200 and answer.json()["rejected"] == 3, answer.text
    recorded = sorted(r["batch_index"] for r in rejected_rows(server) if user in r["event"])
    assert recorded == [0, 2, 3], recorded

"""Segment and RudderStack's own Python SDKs, unmodified except for the host, send to Floe (docs/design.md §3).

Each SDK's HTTP session is observed with a requests response hook (nothing of the SDK is changed),
so the expected rows are built from the exact bodies the SDK sent: batch-level `sentAt`, the
message ids it generated, and the `context.ip` Floe fills from the connection.
"""
from __future__ import annotations

import datetime as dt

import pytest
import rudderstack.analytics.request as rudder_request
import segment.analytics.request as segment_request
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient

from api import Recorder, assert_stored
from corpus import Window
from floe_server import FloeLauncher, FloeServer

UTC = dt.timezone.utc
WRITE_KEY = "sdk-write-key"


@pytest.fixture(scope="module")
def server(floe_launcher: FloeLauncher):
    server = floe_launcher.new("segment-sdk").start()
    yield server
    server.stop()


def send_every_type(client, user: str, at: dt.datetime) -> None:
    """One call of each of the six Segment methods (the signatures both SDKs share)."""
    client.track(user_id=user, event="Order Completed", properties={"revenue": 12.5, "sku": "X-1"}, timestamp=at,
                 context={"locale": "de-DE"})
    client.identify(user_id=user, traits={"email": "ada@example.com", "age": 36}, timestamp=at)
    client.page(anonymous_id="anon-" + user, category="Docs", name="Pricing", properties={"path": "/pricing"})
    client.screen(user_id=user, name="Home", properties={"variant": "b"}, integrations={"Amplitude": False})
    client.group(user_id=user, group_id="group-" + user, traits={"employees": 40})
    client.alias(previous_id="anon-" + user, user_id=user)


@pytest.mark.parametrize("use_gzip", [False, True], ids=["plain", "gzip"])
def test_segment_sdk_sync_mode_sends_every_message_type(server: FloeServer, use_gzip: bool):
    client = SegmentClient(WRITE_KEY, host=server.url, gzip=use_gzip, sync_mode=True, max_retries=0)
    window = Window.open()
    with Recorder(segment_request._session) as recorder:
        send_every_type(client, f"seg-sync-{use_gzip}", dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    window.close()

    assert recorder.statuses() == [200] * 6
    assert recorder.encodings() == {"gzip" if use_gzip else None}
    sent = recorder.expected_rows()
    assert sorted(m["type"] for m in sent) == sorted(["track", "identify", "page", "screen", "group", "alias"])
    assert_stored(server, sent, window)


@pytest.mark.parametrize("use_gzip", [False, True], ids=["plain", "gzip"])
def test_segment_sdk_batched_mode_uploads_batches(server: FloeServer, use_gzip: bool):
    errors = []
    client = SegmentClient(WRITE_KEY, host=server.url, gzip=use_gzip, upload_size=10, upload_interval=0.05,
                           on_error=lambda error, batch: errors.append(error))
    window = Window.open()
    with Recorder(segment_request._session) as recorder:
        for i in range(4):
            send_every_type(client, f"seg-batch-{use_gzip}-{i}", dt.datetime(2026, 11, 20, 10 + i, tzinfo=UTC))
        client.flush()
        client.join()
    window.close()

    assert not errors, errors
    bodies = recorder.bodies()
    assert sum(len(body["batch"]) for body in bodies) == 24
    assert len(bodies) >= 3 and max(len(body["batch"]) for body in bodies) > 1, \
        f"expected batches of up to 10, got sizes {[len(b['batch']) for b in bodies]}"
    assert all("sentAt" in body for body in bodies), "the SDK sets sentAt on the batch"
    assert recorder.encodings() == {"gzip" if use_gzip else None}
    assert set(recorder.statuses()) == {200}
    assert_stored(server, recorder.expected_rows(), window)


def test_rudder_sdk_sends_gzip_batches_by_default(server: FloeServer):
    errors = []
    client = RudderClient(WRITE_KEY, host=server.url, upload_size=5, upload_interval=0.05,
                          on_error=lambda error, batch: errors.append(error))
    window = Window.open()
    with Recorder(rudder_request._session) as recorder:
        for i in range(2):
            send_every_type(client, f"rudder-{i}", dt.datetime(2026, 11, 21, 8, i, tzinfo=UTC))
        client.flush()
        client.join()
    window.close()

    assert not errors, errors
    assert recorder.encodings() == {"gzip"}, "rudder-sdk-python gzips by default"
    assert set(recorder.statuses()) == {200}
    sent = recorder.expected_rows()
    assert len(sent) == 12
    assert all(m.get("channel") == "server" for m in sent), "the SDK's own extra member is tolerated"
    assert_stored(server, sent, window)


def test_segment_sdk_sync_mode_with_a_numeric_user_id(server: FloeServer):
    """The SDKs accept numbers as ids and send them as strings."""
    client = SegmentClient(WRITE_KEY, host=server.url, sync_mode=True, max_retries=0)
    window = Window.open()
    with Recorder(segment_request._session) as recorder:
        client.track(user_id=4242, event="Numeric Id", message_id=98765)
    window.close()
    sent = recorder.expected_rows()
    assert sent[0]["userId"] == "4242" and sent[0]["messageId"] == "98765"
    assert_stored(server, sent, window)

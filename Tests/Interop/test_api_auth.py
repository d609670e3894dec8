"""Credentials (docs/design.md §3): with AUTH_ENABLED=true and AUTH_TOKEN every ingest route needs a key, sent as
`Authorization: Bearer`, `Basic base64(key:)` (Segment writeKey), `X-API-Key` or `writeKey` in the body;
`/debug/*` and `/metrics` need FLOE_ADMIN_TOKEN when it is set. A refused request stores nothing.
"""
from __future__ import annotations

import base64

import pytest
import rudderstack.analytics.request as rudder_request
import segment.analytics.request as segment_request
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient

from api import (Recorder, assert_accepted, assert_error, assert_stored, dumps, rows_with_keys, segment_message,
                 unique)
from corpus import CLOUDEVENTS_JSON, Window
from floe_server import FloeLauncher, FloeServer
from tables import CLOUDEVENTS, EVENTS

TOKEN = "ingest-token-0123456789"
ADMIN = "admin-token-9876543210"


def basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}


class AdminServer:
    """The module's server, flushing with the admin token (FloeServer.flush sends no credentials)."""

    def __init__(self, server: FloeServer):
        self.server = server

    def flush(self):
        response = self.server.post("/debug/flush", headers=ADMIN_HEADERS)
        assert response.status_code == 200, response.text
        return response.json()

    def stored_keys(self, shape, keys) -> set[str]:
        self.flush()
        return {row[shape.key] for row in rows_with_keys(self.server, shape, keys)}


@pytest.fixture(scope="module")
def server(floe_launcher: FloeLauncher):
    server = floe_launcher.new("auth", env={"AUTH_ENABLED": "true", "AUTH_TOKEN": TOKEN,
                                            "FLOE_ADMIN_TOKEN": ADMIN}).start()
    yield server
    server.stop()


@pytest.fixture
def admin(server: FloeServer) -> AdminServer:
    return AdminServer(server)


def batch_body(*messages, **fields) -> bytes:
    return dumps({"batch": list(messages), **fields})


# ---------------------------------------------------------------------- accepted credentials

ACCEPTED = {
    "bearer": {"Authorization": f"Bearer {TOKEN}"},
    "bearer-lowercase-scheme": {"Authorization": f"bearer {TOKEN}"},
    "basic-writekey": {"Authorization": basic(TOKEN)},
    "basic-writekey-with-password": {"Authorization": basic(TOKEN, "ignored")},
    "x-api-key": {"X-API-Key": TOKEN},
}


@pytest.mark.parametrize("headers", ACCEPTED.values(), ids=ACCEPTED.keys())
@pytest.mark.parametrize("path", ["/v1/batch", "/v1/track", "/v1/t", "/v1/import"])
def test_header_credentials_are_accepted(server: FloeServer, admin: AdminServer, path: str, headers: dict):
    message = segment_message("track")
    body = dumps(message) if path in ("/v1/track", "/v1/t") else batch_body(message)
    assert_accepted(server.post(path, body, headers=headers), count=1)
    assert admin.stored_keys(EVENTS, [message["messageId"]]) == {message["messageId"]}


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/identify"])
def test_write_key_in_the_body_is_accepted(server: FloeServer, admin: AdminServer, path: str):
    message = segment_message("identify")
    body = batch_body(message, writeKey=TOKEN) if path == "/v1/batch" else dumps({**message, "writeKey": TOKEN})
    assert_accepted(server.post(path, body), count=1)
    assert admin.stored_keys(EVENTS, [message["messageId"]]) == {message["messageId"]}


def test_rudderstack_beacon_batches_carry_the_write_key_in_the_url(server: FloeServer, admin: AdminServer):
    """RudderStack's JavaScript SDK with `useBeacon` posts `{batch, sentAt}` to `/beacon/v1/batch?writeKey=…` as
    `text/plain` (navigator.sendBeacon sets no headers): the key in the URL is checked as a body's writeKey is."""
    good, bad, none = (segment_message("page") for _ in range(3))
    body = lambda message: batch_body(message, sentAt="2026-11-20T10:00:00.000Z")  # noqa: E731
    assert_accepted(server.post(f"/beacon/v1/batch?writeKey={TOKEN}", body(good), content_type="text/plain;charset=UTF-8"),
                    count=1)
    assert_error(server.post("/beacon/v1/batch?writeKey=wrong", body(bad), content_type="text/plain;charset=UTF-8"), 401)
    assert_error(server.post("/beacon/v1/batch", body(none), content_type="text/plain;charset=UTF-8"), 401)
    stored = admin.stored_keys(EVENTS, [m["messageId"] for m in (good, bad, none)])
    assert stored == {good["messageId"]}


@pytest.mark.parametrize("headers", [ACCEPTED["bearer"], ACCEPTED["x-api-key"]], ids=["bearer", "x-api-key"])
def test_cloudevents_with_credentials_are_accepted(server: FloeServer, admin: AdminServer, headers: dict):
    event = {"specversion": "1.0", "id": unique("auth-ce"), "source": "/auth", "type": "com.example.auth"}
    assert_accepted(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON, headers=headers))
    binary = {"ce-specversion": "1.0", "ce-id": unique("auth-bin"), "ce-source": "/auth", "ce-type": "com.example.auth",
              "Content-Type": "application/json", **headers}
    assert_accepted(server.http.post(server.url + "/events", headers=binary, data=b"{}", timeout=60))
    assert_accepted(server.post("/events/batch", dumps([{**event, "id": unique("auth-batch")}]), headers=headers))
    assert admin.stored_keys(CLOUDEVENTS, [event["id"], binary["ce-id"]]) == {event["id"], binary["ce-id"]}


def test_segment_sdk_authenticates_with_its_write_key(server: FloeServer, admin: AdminServer):
    """analytics-python sends Basic base64(writeKey:) and the writeKey in the body."""
    client = SegmentClient(TOKEN, host=server.url, sync_mode=True, max_retries=0)
    window = Window.open()
    with Recorder(segment_request._session) as recorder:
        client.track(user_id="sdk-auth", event="Authenticated")
    window.close()
    assert recorder.requests[0][0].headers["Authorization"] == basic(TOKEN)
    admin.flush()
    assert_stored(server, recorder.expected_rows(), window, flush=False)


def test_rudder_sdk_authenticates_with_its_write_key(server: FloeServer, admin: AdminServer):
    client = RudderClient(TOKEN, host=server.url, sync_mode=True)
    _, message = client.identify(user_id="rudder-auth", traits={"a": 1})
    assert admin.stored_keys(EVENTS, [message["messageId"]]) == {message["messageId"]}


# ---------------------------------------------------------------------- refused credentials

REFUSED = {
    "missing": ({}, "missing"),
    "wrong-bearer": ({"Authorization": "Bearer not-the-token"}, "invalid"),
    "wrong-basic": ({"Authorization": basic("not-the-token")}, "invalid"),
    "wrong-x-api-key": ({"X-API-Key": "not-the-token"}, "invalid"),
    "token-as-basic-password": ({"Authorization": basic("", TOKEN)}, "credentials"),
    "bearer-without-token": ({"Authorization": "Bearer"}, "credentials"),
    "bearer-blank-token": ({"Authorization": "Bearer   "}, "credentials"),
    "basic-not-base64": ({"Authorization": "Basic %%%not-base64%%%"}, "credentials"),
    "unknown-scheme": ({"Authorization": f"Token {TOKEN}"}, "credentials"),
    "empty-x-api-key": ({"X-API-Key": ""}, "credentials"),
    "admin-token-is-not-an-ingest-key": ({"Authorization": f"Bearer {ADMIN}"}, "invalid"),
    "token-prefix": ({"Authorization": f"Bearer {TOKEN[:-1]}"}, "invalid"),
}


@pytest.mark.parametrize("headers,mention", REFUSED.values(), ids=REFUSED.keys())
@pytest.mark.parametrize("path", ["/v1/batch", "/v1/page"])
def test_refused_credentials_are_401(server: FloeServer, admin: AdminServer, path: str, headers: dict, mention: str):
    message = segment_message("page")
    body = batch_body(message) if path == "/v1/batch" else dumps(message)
    assert_error(server.post(path, body, headers=headers), 401, mention)
    assert admin.stored_keys(EVENTS, [message["messageId"]]) == set()


@pytest.mark.parametrize("headers,mention", [REFUSED["missing"], REFUSED["wrong-bearer"], REFUSED["unknown-scheme"]],
                         ids=["missing", "wrong-bearer", "unknown-scheme"])
def test_cloudevents_without_valid_credentials_are_401(server: FloeServer, admin: AdminServer, headers: dict,
                                                       mention: str):
    event = {"specversion": "1.0", "id": unique("auth-ce"), "source": "/auth", "type": "com.example.auth"}
    assert_error(server.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON, headers=headers), 401, mention)
    assert_error(server.post("/events/batch", dumps([event]), headers=headers), 401, mention)
    binary = {"ce-specversion": "1.0", "ce-id": event["id"], "ce-source": "/auth", "ce-type": "com.example.auth",
              **headers}
    assert_error(server.http.post(server.url + "/events", headers=binary, data=b"{}", timeout=60), 401, mention)
    assert admin.stored_keys(CLOUDEVENTS, [event["id"]]) == set()


def test_cloudevents_without_a_key_are_refused_before_their_body_is_read(server: FloeServer):
    """A CloudEvent has no place for a key in its body: without one in the headers it is 401 whatever the body is
    (malformed, too large, of another media type), not an answer that the body was read for."""
    for body, content_type in ((b"{bad", CLOUDEVENTS_JSON), (b"[" + b"1," * 150_000 + b"1]", CLOUDEVENTS_JSON),
                               (b"x", "text/plain")):
        for path in ("/events", "/events/batch"):
            assert_error(server.post(path, body, content_type=content_type), 401, "missing")


def test_a_wrong_write_key_in_the_body_is_401(server: FloeServer, admin: AdminServer):
    message = segment_message("track")
    assert_error(server.post("/v1/batch", batch_body(message, writeKey="wrong")), 401, "writeKey")
    assert_error(server.post("/v1/track", dumps({**message, "writeKey": "wrong"})), 401, "writeKey")
    assert admin.stored_keys(EVENTS, [message["messageId"]]) == set()


def test_a_wrong_header_is_not_rescued_by_a_right_write_key(server: FloeServer, admin: AdminServer):
    message = segment_message("track")
    response = server.post("/v1/batch", batch_body(message, writeKey=TOKEN),
                           headers={"Authorization": "Bearer wrong"})
    assert_error(response, 401)
    assert admin.stored_keys(EVENTS, [message["messageId"]]) == set()


def test_segment_sdk_with_a_wrong_write_key_gets_401(server: FloeServer, admin: AdminServer):
    errors = []
    client = SegmentClient("wrong-key", host=server.url, upload_interval=0.01, max_retries=0,
                           on_error=lambda error, batch: errors.append(error))
    _, message = client.track(user_id="sdk-wrong", event="Refused")
    client.flush()
    client.join()
    assert [getattr(e, "status", None) for e in errors] == [401], errors
    assert admin.stored_keys(EVENTS, [message["messageId"]]) == set()


def test_rudder_sdk_with_a_wrong_write_key_gets_401(server: FloeServer):
    """rudder-sdk-python reads `code` and `message` from a JSON error body (KeyError without them)."""
    client = RudderClient("wrong-key", host=server.url, sync_mode=True)
    with pytest.raises(rudder_request.APIError) as refused:
        client.track(user_id="rudder-wrong", event="Refused")
    assert refused.value.status == 401


# ---------------------------------------------------------------------- admin endpoints

ADMIN_ROUTES = [("GET", "/debug/status"), ("GET", "/debug/status/track"), ("POST", "/debug/flush"),
                ("POST", "/debug/flush/track"), ("GET", "/metrics")]


@pytest.mark.parametrize("method,path", ADMIN_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_ROUTES])
@pytest.mark.parametrize("headers", [{}, {"Authorization": f"Bearer {TOKEN}"}, {"X-API-Key": TOKEN},
                                     {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer"}],
                         ids=["none", "ingest-bearer", "ingest-x-api-key", "wrong", "malformed"])
def test_admin_routes_need_the_admin_token(server: FloeServer, method: str, path: str, headers: dict):
    response = server.http.request(method, server.url + path, headers=headers, timeout=60)
    assert_error(response, 401, "credentials")


@pytest.mark.parametrize("method,path", ADMIN_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_ROUTES])
@pytest.mark.parametrize("headers", [ADMIN_HEADERS, {"X-API-Key": ADMIN}, {"Authorization": basic(ADMIN)}],
                         ids=["bearer", "x-api-key", "basic"])
def test_admin_routes_accept_the_admin_token(server: FloeServer, method: str, path: str, headers: dict):
    response = server.http.request(method, server.url + path, headers=headers, timeout=60)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_health_needs_no_credentials(server: FloeServer, path: str):
    assert server.get(path).status_code == 200


def test_admin_token_alone_guards_debug_when_auth_is_off(floe):
    """AUTH_ENABLED unset: ingest is open, but /debug/* and /metrics still need FLOE_ADMIN_TOKEN."""
    server = floe(env={"FLOE_ADMIN_TOKEN": ADMIN})
    assert_accepted(server.post("/v1/batch", batch_body(segment_message("track"))))
    for method, path in ADMIN_ROUTES:
        assert_error(server.http.request(method, server.url + path, timeout=60), 401)
        response = server.http.request(method, server.url + path, headers=ADMIN_HEADERS, timeout=60)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"


def test_without_an_admin_token_an_ingest_key_opens_debug(floe):
    server = floe(env={"AUTH_ENABLED": "true", "AUTH_TOKEN": TOKEN})
    assert_error(server.get("/debug/status"), 401)
    assert server.get("/debug/status", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_auth_enabled_without_a_token_refuses_to_start(floe):
    with pytest.raises(RuntimeError, match="no key"):
        floe(env={"AUTH_ENABLED": "true"})

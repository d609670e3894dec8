"""Credentials on every protected endpoint (what test_api_auth.py does not already cover).

test_api_auth.py checks the refused credentials on /v1/batch, /v1/page and the CloudEvents routes, and the admin
token on five admin routes. Here every ingest route (long and short Segment paths, /v1/import, /events,
/events/batch) refuses missing, wrong and malformed credentials with 401 and stores nothing; every admin route
(/debug/status[/{type}], /debug/flush[/{type}], /debug/list-r2, /metrics) refuses ingest keys and malformed
admin credentials; and a few credential-shaped abuses (duplicated Authorization headers over a raw socket,
huge or control-character tokens) get a 4xx, never a 5xx or a 200.
"""
from __future__ import annotations

import base64
import socket

import pytest

from api import SEGMENT_TYPES, SHORT_PATHS, dumps, segment_message, unique
from chaos import marked_rows_with
from corpus import CLOUDEVENTS_JSON
from floe_server import FloeLauncher, FloeServer

TOKEN = "chaos-ingest-token-0123456789"
ADMIN = "chaos-admin-token-9876543210"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}


def basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


BAD = {
    "missing": {},
    "wrong-bearer": {"Authorization": "Bearer wrong"},
    "bearer-case-changed-token": {"Authorization": f"Bearer {TOKEN.upper()}"},
    "bearer-token-with-suffix": {"Authorization": f"Bearer {TOKEN}x"},
    "bearer-two-tokens": {"Authorization": f"Bearer {TOKEN} {TOKEN}"},
    "bearer-huge": {"Authorization": "Bearer " + "t" * 20_000},
    "basic-wrong": {"Authorization": basic("wrong")},
    "basic-not-base64": {"Authorization": "Basic !!!"},
    "basic-base64-without-colon": {"Authorization": "Basic " + base64.b64encode(b"wrong").decode()},
    "basic-empty": {"Authorization": "Basic "},
    "scheme-only": {"Authorization": "Basic"},
    "digest": {"Authorization": f"Digest username={TOKEN}"},
    "token-without-scheme": {"Authorization": TOKEN},
    "x-api-key-wrong": {"X-API-Key": "wrong"},
    "x-api-key-two-words": {"X-API-Key": f"{TOKEN} {TOKEN}"},
    "x-api-key-admin": {"X-API-Key": ADMIN},
    "latin1-token": {"Authorization": "Bearer t\u00ffk\u00e9n"},
}

INGEST = [(f"/v1/{kind}", "segment", kind) for kind in SEGMENT_TYPES] + \
         [(f"/v1/{short}", "segment", kind) for short, kind in SHORT_PATHS.items()] + \
         [("/v1/batch", "batch", "track"), ("/v1/import", "batch", "identify"),
          ("/events", "cloudevent", None), ("/events/batch", "cloudevents", None)]

ADMIN_ROUTES = [("GET", "/debug/status"), ("GET", "/debug/status/track"), ("GET", "/debug/status/com.example.x"),
                ("POST", "/debug/flush"), ("POST", "/debug/flush/track"), ("GET", "/debug/list-r2"),
                ("GET", "/debug/list-r2?prefix=data/"), ("GET", "/metrics")]


@pytest.fixture(scope="module")
def server(floe_launcher: FloeLauncher):
    server = floe_launcher.new("chaos-auth", env={"AUTH_ENABLED": "true", "AUTH_TOKEN": TOKEN,
                                                  "FLOE_ADMIN_TOKEN": ADMIN}).start()
    yield server
    server.stop()


def request_for(route: str, shape: str, kind: str | None, marker: str) -> tuple[bytes, str]:
    if shape in ("segment", "batch"):
        message = segment_message(kind, anonymousId=marker, userId=None)
        return dumps(message if shape == "segment" else {"batch": [message]}), "application/json"
    event = {"specversion": "1.0", "id": marker, "source": "/chaos-auth", "type": "com.example.auth"}
    return (dumps(event), CLOUDEVENTS_JSON) if shape == "cloudevent" else (dumps([event]), "application/json")


def test_every_ingest_route_refuses_bad_credentials_and_stores_nothing(server: FloeServer):
    refused = []
    for route, shape, kind in INGEST:
        for name, headers in BAD.items():
            marker = unique("chaosauth")
            body, content_type = request_for(route, shape, kind, marker)
            response = server.post(route, body, content_type=content_type, headers=headers)
            assert response.status_code == 401, f"{route} with {name}: {response.status_code} {response.text[:200]}"
            assert "Bearer" in response.headers.get("WWW-Authenticate", ""), f"{route} {name}: no WWW-Authenticate"
            refused.append(marker)
        # the same request with the key is accepted, so the refusals above were about credentials only
        body, content_type = request_for(route, shape, kind, unique("chaosauth-ok"))
        response = server.post(route, body, content_type=content_type, headers={"X-API-Key": TOKEN})
        assert response.status_code in (200, 202), f"{route} with the key: {response.status_code} {response.text}"
    assert server.post("/debug/flush", headers=ADMIN_HEADERS).status_code == 200
    leaked = marked_rows_with(server.data_dir, "chaosauth-")
    assert not [r for r in leaked if "chaosauth-ok" not in str(r)], "a refused request was stored"
    assert len(leaked) == len(INGEST), f"{len(leaked)} accepted control events stored, want {len(INGEST)}"


@pytest.mark.parametrize("method,path", ADMIN_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_ROUTES])
def test_every_admin_route_needs_the_admin_token(server: FloeServer, method: str, path: str):
    bad = {name: headers for name, headers in BAD.items() if name != "x-api-key-admin"}  # that one is right here
    for name, headers in {**bad, "ingest-bearer": {"Authorization": f"Bearer {TOKEN}"},
                          "ingest-basic": {"Authorization": basic(TOKEN)}, "ingest-x-api-key": {"X-API-Key": TOKEN},
                          "admin-token-prefix": {"Authorization": f"Bearer {ADMIN[:-1]}"}}.items():
        response = server.http.request(method, server.url + path, headers=headers, timeout=60)
        assert response.status_code == 401, f"{method} {path} with {name}: {response.status_code} {response.text[:200]}"
    response = server.http.request(method, server.url + path, headers=ADMIN_HEADERS, timeout=60)
    assert response.status_code == 200, f"{method} {path} with the admin token: {response.status_code} {response.text}"


def raw_status(port: int, head: bytes, body: bytes = b"") -> int | None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        answer = conn.recv(65536)
    return int(answer[9:12]) if answer.startswith(b"HTTP/1.") else None


@pytest.mark.parametrize("headers", [
    f"Authorization: Bearer wrong\r\nAuthorization: Bearer {TOKEN}\r\n",
    f"Authorization: Bearer {TOKEN}\r\nAuthorization: Bearer wrong\r\n",
    f"X-API-Key: wrong\r\nX-API-Key: {TOKEN}\r\n",
    "Authorization: Bearer a\x01b\r\n",
    "Authorization: Bearer \xff\xfe\r\n",
], ids=["wrong-then-right", "right-then-wrong", "two-api-keys", "control-character", "non-utf8"])
def test_abused_credential_headers_get_4xx(server: FloeServer, headers: str):
    """Ambiguous credentials are refused, not resolved in the client's favour (and never a 5xx)."""
    marker = unique("chaosauth")
    body = dumps(segment_message("track", anonymousId=marker, userId=None))
    head = (f"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{headers}").encode("latin-1")
    status = raw_status(server.port, head, body)
    assert status is not None and 400 <= status < 500, f"answer {status}"
    assert server.post("/debug/flush", headers=ADMIN_HEADERS).status_code == 200
    assert not marked_rows_with(server.data_dir, marker), "a request with ambiguous credentials was stored"

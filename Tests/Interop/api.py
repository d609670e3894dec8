"""Helpers of the HTTP API tests (test_api_*.py): messages to send, what a row should hold, error envelopes.

Tests share one server per module where the configuration allows, so each test marks its events
with fresh message ids and checks only the rows with those ids (`assert_stored`), and a rejected
request is proven harmless by `assert_not_stored` after a flush.
"""
from __future__ import annotations

import gzip
import itertools
import json
import uuid
import zlib

import requests
from pyiceberg.exceptions import NoSuchTableError

from corpus import Window
from floe_server import FloeServer
from lake import load_table, pyiceberg_rows
from tables import CLOUDEVENTS, EVENTS, TableShape, assert_rows_match

LOOPBACK = "127.0.0.1"
SEGMENT_TYPES = ["track", "identify", "page", "screen", "group", "alias"]
SHORT_PATHS = {"t": "track", "i": "identify", "p": "page", "s": "screen", "g": "group", "a": "alias"}

_serial = itertools.count(1)


def unique(prefix: str) -> str:
    """A fresh identifier, readable in a failure message."""
    return f"{prefix}-{next(_serial)}-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------------- Segment messages


def segment_message(kind: str, **fields) -> dict:
    """A valid Segment message of `kind` with every field that type needs and a fresh messageId."""
    message = {
        "type": kind,
        "messageId": unique(kind),
        "userId": unique("user"),
        "timestamp": "2026-11-20T10:15:30.123Z",
        "context": {"library": {"name": "floe-tests", "version": "1"}},
    }
    message.update({
        "track": {"event": "Order Completed", "properties": {"revenue": 9.5, "items": [1, 2]}},
        "identify": {"traits": {"email": "a@example.com", "plan": "pro"}},
        "page": {"name": "Pricing", "category": "Docs", "properties": {"path": "/pricing"}},
        "screen": {"name": "Home", "category": "Main", "properties": {"variant": "b"}},
        "group": {"groupId": unique("group"), "traits": {"employees": 12}},
        "alias": {"previousId": unique("previous")},
    }[kind])
    message.update(fields)
    return {k: v for k, v in message.items() if v is not None}


def as_stored(message: dict, *, ip: str | None = LOOPBACK, batch: dict | None = None) -> dict:
    """What `tables.expected_event` should compare a stored row with: the message after Floe merged
    batch-level context/integrations/sentAt into it and filled `context.ip` from the request."""
    batch = batch or {}
    expected = dict(message)
    context = {**(batch.get("context") or {}), **(message.get("context") or {})}
    if ip is not None and "ip" not in context:
        context["ip"] = ip
    expected["context"] = context or None
    if expected.get("integrations") is None and "integrations" in batch:  # absent or null
        expected["integrations"] = batch["integrations"]
    if "sentAt" not in expected and batch.get("sentAt") is not None:
        expected["sentAt"] = batch["sentAt"]
    return expected


# ---------------------------------------------------------------------- SDK traffic


class Recorder:
    """Every request an SDK's `requests` session made, with its decoded JSON body."""

    def __init__(self, session: requests.Session):
        self.session = session
        self.requests: list[tuple[requests.PreparedRequest, int]] = []

    def __enter__(self) -> Recorder:
        self.session.hooks["response"].append(self._record)
        return self

    def __exit__(self, *exc) -> None:
        self.session.hooks["response"].remove(self._record)

    def _record(self, response: requests.Response, *args, **kwargs) -> None:
        self.requests.append((response.request, response.status_code))

    def bodies(self) -> list[dict]:
        out = []
        for request, _ in self.requests:
            body = request.body if isinstance(request.body, bytes) else request.body.encode()
            if request.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            out.append(json.loads(body))
        return out

    def encodings(self) -> set[str | None]:
        return {request.headers.get("Content-Encoding") for request, _ in self.requests}

    def statuses(self) -> list[int]:
        return [status for _, status in self.requests]

    def expected_rows(self) -> list[dict]:
        """The messages of every accepted request as Floe should store them."""
        return [as_stored(message, batch=body) for body in self.bodies() for message in body["batch"]]


# ---------------------------------------------------------------------- bodies


def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)


def deflated(body: bytes, raw: bool = False) -> bytes:
    """RFC 9110 `deflate` (zlib-wrapped), or raw deflate as some clients send it."""
    if not raw:
        return zlib.compress(body)
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(body) + compressor.flush()


# ---------------------------------------------------------------------- responses


def assert_accepted(response: requests.Response, count: int | None = None) -> dict:
    """200 with `{"success":true,"count":N}`."""
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: " \
                                        f"{response.status_code} {response.text}"
    body = response.json()
    assert body.get("success") is True, body
    if count is not None:
        assert body.get("count") == count, body
    return body


def assert_error(response: requests.Response, status: int, *mentions: str) -> dict:
    """The error envelope `{"success":false,"error":"...","errors":[...]?}` with `status`, naming each of `mentions`
    (case-insensitive, anywhere in `error` or `errors`)."""
    where = f"{response.request.method} {response.request.url}"
    assert response.status_code == status, f"{where}: want {status}, got {response.status_code} {response.text}"
    assert response.headers.get("Content-Type", "").startswith("application/json"), \
        f"{where}: error Content-Type {response.headers.get('Content-Type')!r}"
    body = response.json()
    assert body.get("success") is False, f"{where}: {body}"
    assert isinstance(body.get("error"), str) and body["error"], f"{where}: no error message in {body}"
    errors = body.get("errors", [])
    assert isinstance(errors, list) and all(isinstance(e, str) for e in errors), f"{where}: errors {errors!r}"
    text = " ".join([body["error"], *errors]).lower()
    missing = [m for m in mentions if m.lower() not in text]
    assert not missing, f"{where}: error does not mention {missing}: {body}"
    return body


def retry_after(response: requests.Response) -> int:
    """The `Retry-After` header as whole seconds (it must be there and be a non-negative integer)."""
    value = response.headers.get("Retry-After")
    assert value is not None, f"{response.status_code} without Retry-After: {dict(response.headers)}"
    assert value.isdigit(), f"Retry-After {value!r} is not a number of seconds"
    return int(value)


# ---------------------------------------------------------------------- tables


def table_rows(server: FloeServer, shape: TableShape) -> list[dict]:
    """Every row of a table as pyiceberg reads it (none when the table was never created)."""
    try:
        return pyiceberg_rows(load_table(server.data_dir, shape.name))
    except NoSuchTableError:
        return []


def rows_with_keys(server: FloeServer, shape: TableShape, keys) -> list[dict]:
    keys = set(keys)
    return [row for row in table_rows(server, shape) if row[shape.key] in keys]


def _shape_and_key(events: list[dict]) -> tuple[TableShape, str]:
    return (EVENTS, "messageId") if "messageId" in events[0] else (CLOUDEVENTS, "id")


def rejected_rows(server: FloeServer, flush: bool = True) -> list[dict]:
    """Every row of the `rejected` table (none when it was never created), its `event` parsed back from JSON
    when it is whole (`event_json`, else None)."""
    if flush:
        server.flush()
    try:
        rows = pyiceberg_rows(load_table(server.data_dir, "rejected"))
    except NoSuchTableError:
        return []
    for row in rows:
        try:
            row["event_json"] = json.loads(row["event"])
        except ValueError:
            row["event_json"] = None
    return rows


def rejected_with(server: FloeServer, key: str, value, flush: bool = True) -> list[dict]:
    """Rows of `rejected` whose event (a JSON object) has `key` == `value`."""
    return [r for r in rejected_rows(server, flush) if isinstance(r["event_json"], dict) and r["event_json"].get(key) == value]


def assert_stored(server: FloeServer, sent: list[dict], window: Window, flush: bool = True) -> list[dict]:
    """After a flush, each of `sent` (as `tables.expected_*` reads them) is in its table once, with its values.

    Only rows with the sent keys are looked at, so other tests on the same server do not interfere.
    """
    shape, key = _shape_and_key(sent)
    if flush:
        server.flush()
    rows = rows_with_keys(server, shape, (event[key] for event in sent))
    assert_rows_match("pyiceberg", shape, rows, sent, window)
    return rows


def assert_not_stored(server: FloeServer, shape: TableShape, keys) -> None:
    """After a flush, no row of the table has any of `keys`: a rejected request left nothing behind."""
    keys = set(keys)
    assert keys, "no keys to look for"
    server.flush()
    found = rows_with_keys(server, shape, keys)
    assert not found, f"{len(found)} row(s) of a rejected request were stored: " \
                      f"{sorted(row[shape.key] for row in found)}"

"""Bad input: more than 10,000 generated malformed requests (hypothesis) against one server.

Truncated JSON, wrong types, strings and bodies over the limits, deep nesting, invalid UTF-8, wrong content
types, gzip/deflate garbage and bombs, unknown encodings, header abuse (very long, many, duplicated and odd
headers), and malformed HTTP framing over raw sockets (bad Content-Length, chunking). Every request carries a
marker (`chaosbad-...` as anonymousId / messageId / CloudEvent id) and:
- is answered 4xx, never 5xx, and the connection is not dropped for well-formed HTTP; a batch whose every
  event is broken (but whose body is JSON of the right shape) is answered 200 with every event rejected
  (per-event acceptance, docs/design.md §3);
- the server stays up (/health) and its RSS grows by less than 150 MB;
- after /debug/flush no row of either table carries a marker, while control events sent in between are stored.
"""
from __future__ import annotations

import gzip
import itertools
import socket
import uuid
import zlib

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api import segment_message
from chaos import ProcessProbe, marked_rows_with
from corpus import CLOUDEVENTS_JSON, dumps
from floe_server import FloeLauncher, FloeServer

MARKER = "chaosbad"
MAX_BATCH = 512_000
MAX_EVENT = 32_768
RSS_GROWTH_MB = 150
SEGMENT_KINDS = ["track", "identify", "page", "screen", "group", "alias"]
_serial = itertools.count()


def marker() -> str:
    return f"{MARKER}-{next(_serial)}-{uuid.uuid4().hex[:6]}"


# ---------------------------------------------------------------------- valid bodies that get broken


def message(kind: str) -> dict:
    m = segment_message(kind)
    m["anonymousId"] = marker()
    m["messageId"] = m["anonymousId"] + "-m"
    return m


def cloudevent() -> dict:
    return {"specversion": "1.0", "id": marker(), "source": f"/{MARKER}", "type": "com.example.chaos",
            "time": "2026-11-20T10:15:30Z", "data": {"k": MARKER}}


@st.composite
def valid_request(draw) -> tuple[str, dict | list, str]:
    """(path, JSON value, content type) of a request that would be accepted."""
    shape = draw(st.sampled_from(["batch", "single", "short", "cloudevent", "cloudevents-batch"]))
    if shape == "batch":
        count = draw(st.integers(1, 4))
        return "/v1/batch", {"batch": [message(draw(st.sampled_from(SEGMENT_KINDS))) for _ in range(count)]}, \
            "application/json"
    if shape in ("single", "short"):
        kind = draw(st.sampled_from(SEGMENT_KINDS))
        path = f"/v1/{kind}" if shape == "single" else f"/v1/{kind[0]}"
        return path, message(kind), "application/json"
    if shape == "cloudevent":
        return "/events", cloudevent(), CLOUDEVENTS_JSON
    return "/events/batch", [cloudevent() for _ in range(draw(st.integers(1, 3)))], "application/cloudevents-batch+json"


def first_event(value) -> dict:
    return all_events(value)[0]


def all_events(value) -> list:
    if isinstance(value, list):
        return value
    return value["batch"] if "batch" in value else [value]


BATCH_ROUTES = ("/v1/batch", "/v1/import", "/events/batch")


WRONG_STRING = [{}, [], [1], {"a": 1}, True]
WRONG_OBJECT = ["x", 1, [1], True, 2.5]
WRONG_TIME = ["yesterday", 5, {}, "2026-13-45T99:00:00Z", "", "2026-11-20 10:15"]
SEGMENT_WRONG = {"userId": WRONG_STRING, "anonymousId": [{}, [], [1], {"a": 1}], "messageId": WRONG_STRING,
                 "properties": WRONG_OBJECT, "traits": WRONG_OBJECT, "context": WRONG_OBJECT,
                 "integrations": WRONG_OBJECT, "timestamp": WRONG_TIME, "sentAt": WRONG_TIME}
CLOUDEVENT_WRONG = {"specversion": ["0.3", 1.0, None, ""], "id": [None, "", {}, []], "source": [None, "", {}, 5],
                    "type": [None, "", 5, []], "time": WRONG_TIME}


# ---------------------------------------------------------------------- the server and the sender


@pytest.fixture(scope="module")
def server(floe_launcher: FloeLauncher):
    server = floe_launcher.new("chaos-input").start()
    yield server
    server.stop()


class Sender:
    """Posts over one keep-alive session, counts requests, and fails on 5xx, 2xx or a dropped connection."""

    def __init__(self, server: FloeServer):
        self.server = server
        self.http = requests.Session()
        self.sent = 0
        self.statuses: dict[int, int] = {}

    def post(self, path: str, body: bytes, headers: dict, allowed=range(400, 500), what: str = "",
             rejected: int | None = None) -> int:
        """`rejected`: the body is a batch of that many broken events, which may also be answered 200 with
        every one of them rejected (and none accepted)."""
        self.sent += 1
        try:
            response = self.http.post(self.server.url + path, data=body, headers=headers, timeout=30)
        except requests.RequestException as error:
            raise AssertionError(f"{what}: POST {path} ({len(body)} bytes, headers {list(headers)}): "
                                 f"connection failed: {error!r}") from None
        status = response.status_code
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200 and rejected is not None:
            answer = response.json()
            assert answer.get("accepted") == 0 and answer.get("rejected") == rejected, \
                f"{what}: POST {path}: a batch of {rejected} broken events was answered {response.text[:300]}"
            return status
        assert status in allowed, f"{what}: POST {path} ({len(body)} bytes, headers " \
                                  f"{ {k: v[:80] for k, v in headers.items()} }, body {body[:200]!r}): " \
                                  f"{status} {response.text[:300]}"
        return status


FAST = settings(max_examples=100, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck), print_blob=True)


def examples(n: int):
    return settings(FAST, max_examples=n)


# ---------------------------------------------------------------------- the categories


def run_truncated(sender: Sender, n: int) -> None:
    @examples(n)
    @given(valid_request(), st.floats(0, 1, exclude_max=True))
    def truncated(request, cut):
        path, value, content_type = request
        body = dumps(value)
        body = body[:max(1, int(len(body) * cut))]
        sender.post(path, body, {"Content-Type": content_type}, allowed={400}, what="truncated JSON")

    truncated()


def run_wrong_types(sender: Sender, n: int) -> None:
    @examples(n)
    @given(valid_request(), st.data())
    def wrong_types(request, data):
        path, value, content_type = request
        event = first_event(value)
        if path.startswith("/events"):
            field = data.draw(st.sampled_from(sorted(CLOUDEVENT_WRONG)), label="field")
            wrong = data.draw(st.sampled_from(CLOUDEVENT_WRONG[field]), label="value")
        else:
            field = data.draw(st.sampled_from(sorted(SEGMENT_WRONG) + ["type", "batch"]), label="field")
            if field == "batch":
                path, value = "/v1/batch", {"batch": data.draw(st.sampled_from([{}, "x", 1, [1], [None], [[]], None]))}
                event = None
            elif field == "type":
                path, value = "/v1/batch", {"batch": [event]}
                wrong = data.draw(st.sampled_from([5, "bogus", None, "", [], "Track "]), label="value")
            else:
                wrong = data.draw(st.sampled_from(SEGMENT_WRONG[field]), label="value")
        broken = None
        if event is not None:
            # every event of a batch is broken, so that none of them may be stored
            broken = all_events(value)
            for each in broken:
                each[field] = wrong
                if field == "anonymousId":
                    each["userId"] = None  # the remaining identity is the wrong one
        elif isinstance(value["batch"], list) and value["batch"]:
            broken = value["batch"]  # elements that are not objects
        sender.post(path, dumps(value), {"Content-Type": content_type}, allowed={400}, what=f"wrong type of {field}",
                    rejected=len(broken) if path in BATCH_ROUTES and broken else None)

    wrong_types()


INVALID_UTF8 = [b"\xff", b"\xfe\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xc3", b"\xe2\x82", b"\xf8\x88\x80\x80\x80",
                b"\x80", b"\xf4\x90\x80\x80"]


def run_invalid_utf8(sender: Sender, n: int) -> None:
    @examples(n)
    @given(valid_request(), st.sampled_from(INVALID_UTF8), st.integers(0, 10_000))
    def invalid_utf8(request, bad, position):
        path, value, content_type = request
        body = dumps(value)
        # inside a string value: right after the opening quote of the marker
        at = body.find(MARKER.encode())
        at = [i for i in range(len(body)) if body[i:i + 1] == b'"'][position % body.count(b'"')] + 1 \
            if position % 3 else at
        body = body[:at] + bad + body[at:]
        sender.post(path, body, {"Content-Type": content_type}, allowed={400}, what=f"invalid UTF-8 {bad!r}")

    invalid_utf8()


def run_deep_nesting(sender: Sender, n: int) -> None:
    @examples(n)
    @given(valid_request(), st.integers(129, 20_000), st.sampled_from(["[", '{"a":']), st.booleans())
    def deep(request, depth, opener, balanced):
        path, value, content_type = request
        event = first_event(value)
        slot = "data" if path.startswith("/events") else "properties"
        event[slot] = "@@DEEP@@"
        closer = "]" if opener == "[" else "}"
        nested = opener * depth + ("1" if opener != "[" else "") + (closer * depth if balanced else "")
        body = dumps(value).replace(b'"@@DEEP@@"', nested.encode())
        allowed = {400, 413} if len(body) > MAX_EVENT else {400}
        sender.post(path, body, {"Content-Type": content_type}, allowed=allowed, what=f"nesting {depth}")

    deep()


BAD_CONTENT_TYPES = ["application/xml", "text/html", "multipart/form-data; boundary=x", "image/png",
                     "application/x-www-form-urlencoded", "application/octet-stream", "text/csv", "video/mp4",
                     "application/jsonx", "json", "application", "*/*"]


def run_content_types(sender: Sender, n: int) -> None:
    @examples(n)
    @given(valid_request(), st.sampled_from(BAD_CONTENT_TYPES), st.sampled_from(["", "; charset=utf-8", ";;"]))
    def content_types(request, content_type, suffix):
        path, value, _ = request
        # /events with a non-JSON type is a binary-mode CloudEvent: without ce-* headers that is a 400
        allowed = {400, 415} if path == "/events" else {415}
        sender.post(path, dumps(value), {"Content-Type": content_type + suffix}, allowed=allowed,
                    what="content type")

    content_types()


def bomb(megabytes: int, prefix: bytes = b'{"batch":[') -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    block = b" " * (1 << 20)
    return compressor.compress(prefix) + b"".join(compressor.compress(block) for _ in range(megabytes)) + \
        compressor.flush()


BOMBS = None


def run_encodings(sender: Sender, n: int) -> None:
    global BOMBS
    BOMBS = BOMBS or [bomb(1), bomb(16), bomb(200)]

    @examples(n)
    @given(valid_request(), st.data())
    def encodings(request, data):
        path, value, content_type = request
        body = dumps(value)
        case = data.draw(st.sampled_from(["garbage", "truncated", "wrong-codec", "unknown", "bomb", "gzip-of-bad"]))
        encoding = data.draw(st.sampled_from(["gzip", "deflate", "x-gzip", "GZIP"]))
        allowed = {400}
        if case == "garbage":
            payload = data.draw(st.binary(min_size=0, max_size=200))
            payload = (b"\x1f\x8b" if data.draw(st.booleans()) else b"") + payload
        elif case == "truncated":
            packed = gzip.compress(body) if encoding.lower() != "deflate" else zlib.compress(body)
            payload = packed[:max(1, int(len(packed) * data.draw(st.floats(0, 1, exclude_max=True))))]
        elif case == "wrong-codec":  # zlib-wrapped deflate under a gzip header (the reverse is accepted)
            payload, encoding = zlib.compress(body), "gzip"
        elif case == "unknown":
            encoding = data.draw(st.sampled_from(["br", "zstd", "compress", "gzip, gzip", "gzip, identity",
                                                  "identity, gzip", "chunked", "*", "gzip;q=1", "x"]))
            payload = gzip.compress(body)
            allowed = {400, 415}
        elif case == "bomb":
            payload, encoding, allowed = data.draw(st.sampled_from(BOMBS)), "gzip", {413}
        else:  # valid gzip of a broken body
            payload = gzip.compress(body[:-1] + b"\xff")
        sender.post(path, payload, {"Content-Type": content_type, "Content-Encoding": encoding}, allowed=allowed,
                    what=f"content encoding {case}")

    encodings()


def run_over_limits(sender: Sender, n: int) -> None:
    @examples(n)
    @given(st.sampled_from(["event-field", "batch-body", "single-body", "cloudevent-data", "ce-batch", "gzip-batch"]),
           st.integers(1, 300_000))
    def over_limits(case, extra):
        rejected = None
        if case == "event-field":  # the event of a batch over 32 KB: rejected on its own, or (strict) 413
            m = message("track")
            m["properties"] = {"blob": "x" * (MAX_EVENT + extra % 100_000)}
            path, body, headers, rejected = "/v1/batch", dumps({"batch": [m]}), {}, 1
        elif case == "single-body":
            m = message("page")
            m["name"] = "é" * (MAX_EVENT // 2 + extra % 50_000)
            path, body, headers = "/v1/page", dumps(m), {}
        elif case == "cloudevent-data":
            e = cloudevent()
            e["data"] = {"blob": "y" * (MAX_EVENT + extra % 100_000)}
            path, body, headers = "/events", dumps(e), {"Content-Type": CLOUDEVENTS_JSON}
        elif case == "ce-batch":
            events = [dict(cloudevent(), data={"blob": "z" * 20_000}) for _ in range(MAX_BATCH // 20_000 + 2)]
            path, body, headers = "/events/batch", dumps(events), {}
        else:
            messages = [dict(message("track"), properties={"blob": "w" * 20_000})
                        for _ in range(MAX_BATCH // 20_000 + 1 + extra % 10)]
            path, body, headers = "/v1/batch", dumps({"batch": messages}), {}
            if case == "gzip-batch":
                body, headers = gzip.compress(body), {"Content-Encoding": "gzip"}
        sender.post(path, body, {"Content-Type": "application/json", **headers}, allowed={413}, what=case,
                    rejected=rejected)

    over_limits()


HEADER_NAMES = ["X-Chaos", "Content-Type", "Authorization", "X-API-Key", "Content-Encoding", "User-Agent",
                "Cookie", "Accept", "X-Forwarded-For", "CF-Connecting-IP", "ce-specversion", "Origin", "Referer"]


def run_header_abuse(sender: Sender, n: int) -> None:
    """Odd headers on requests whose body is invalid (no identity / missing CloudEvent id), so 4xx is right."""

    @examples(n)
    @given(valid_request(), st.data())
    def header_abuse(request, data):
        path, value, content_type = request
        for event in all_events(value):
            if path.startswith("/events"):
                event.pop("id")
            else:
                event.pop("anonymousId"), event.pop("userId", None)
        headers = {"Content-Type": content_type}
        case = data.draw(st.sampled_from(["long", "many", "odd-name", "odd-value", "duplicate-type"]))
        if case == "long":
            name = data.draw(st.sampled_from(HEADER_NAMES[:1] + HEADER_NAMES[5:]))
            headers[name] = "v" * data.draw(st.integers(1_000, 60_000))
        elif case == "many":
            headers.update({f"X-Chaos-{i}": "x" * 20 for i in range(data.draw(st.integers(50, 900)))})
        elif case == "odd-name":
            headers[data.draw(st.sampled_from(["X_Under_Score", "x-" + "a" * 300, "X-1", "X!#$%&'*+.^`|~"]))] = "v"
        elif case == "odd-value":
            headers[data.draw(st.sampled_from(HEADER_NAMES))] = data.draw(st.sampled_from(
                ["", "a  b ", "\u00e9\u00e8", "x" * 8_000, "Bearer \u00ff", "()<>@,;:\\\"/[]?={}"]))
        else:
            headers["Content-Type"] = f"{content_type}, application/xml"
        body = dumps(value)
        if headers.get("Content-Encoding"):
            headers.pop("Content-Encoding")  # an odd encoding value is run_encodings' business
        sender.post(path, body, headers, allowed=range(400, 500), what=f"header abuse {case}",
                    rejected=len(all_events(value)) if path in BATCH_ROUTES else None)

    header_abuse()


RAW_CASES = [
    # (request bytes, whether it is well-formed HTTP: then a 4xx answer is required)
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\nContent-Length: 2\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length 2\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/9.9\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nX-\xc3\x9cn\xc3\xafcode: v\r\nContent-Length: 2\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nX-Tab\tName: v\r\nContent-Length: 2\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nX-(paren): v\r\nContent-Length: 2\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nX-Ctl: a\x01b\r\nContent-Length: 2\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\n Folded: v\r\nContent-Length: 2\r\n\r\n{}", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\nContent-Length: 2\n\n{}", False),
    (b"POST /v1/track\r\n\r\n", False),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, False),  # a TLS ClientHello
    (b"GARBAGE\r\n\r\n", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", True),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"1\r\n{\r\n1\r\n}\r\n0\r\n\r\n", True),
    (b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"
     b"{\"batch\":[1]}", True),
    (b"POST /v1/batch HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n{", True),
    (b"POST /v1/batch?x=" + b"q" * 6000 + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n{", True),
]


def raw_exchange(port: int, request: bytes, half_close: bool = False, timeout: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        try:
            conn.sendall(request)
            if half_close:
                conn.shutdown(socket.SHUT_WR)
            return conn.recv(65536)
        except (ConnectionResetError, BrokenPipeError, socket.timeout) as error:
            return repr(error).encode()


def run_raw(server: FloeServer, sender: Sender) -> None:
    problems = []
    for request, well_formed in RAW_CASES:
        answer = raw_exchange(server.port, request)
        sender.sent += 1
        status = int(answer[9:12]) if answer.startswith(b"HTTP/1.") else None
        if (status is None and well_formed) or (status is not None and not 400 <= status < 500):
            problems.append(f"raw {request[:80]!r}: answer {answer[:120]!r}")
    assert not problems, "\n".join(problems)


# Bodies whose framing breaks after the headers were accepted: Floe answers these 500 "internal error"
# (HTTPParserError from the body stream is not mapped to 400), see test_broken_body_framing_is_a_4xx.
BROKEN_BODY_FRAMING = [
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", False),
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}\r\n0\r\n\r\n", False),
    # Content-Length promises more than is sent, or a chunk is cut, then the client closes its side
    (b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
     b"{\"type\":\"track\"", True),
    (b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"batch\":", True),
]


# ---------------------------------------------------------------------- the test


CATEGORY_EXAMPLES = {  # 10,750 generated requests in all
    run_truncated: 2200, run_wrong_types: 2200, run_invalid_utf8: 1500, run_deep_nesting: 1000,
    run_content_types: 1000, run_encodings: 1300, run_over_limits: 250, run_header_abuse: 1300,
}


def test_ten_thousand_malformed_requests_get_4xx_and_store_nothing(server: FloeServer):
    probe = ProcessProbe(server.process.pid)
    control = []

    def send_control():
        m = segment_message("track", anonymousId=f"chaosok-{uuid.uuid4().hex[:8]}")
        response = server.post("/v1/track", dumps(m))
        assert response.status_code == 200, response.text
        control.append(m["messageId"])

    send_control()
    rss_before = probe.rss_mb()
    sender = Sender(server)
    for run, count in CATEGORY_EXAMPLES.items():
        run(sender, count)
        send_control()
        assert server.get("/health").status_code == 200, f"not healthy after {run.__name__}"
    run_raw(server, sender)
    assert server.running and server.get("/health").status_code == 200
    rss_after = probe.rss_mb()
    print(f"malformed requests={sender.sent} statuses={dict(sorted(sender.statuses.items()))} "
          f"rss_mb before={rss_before:.0f} after={rss_after:.0f} fds={probe.fds()}")
    assert sender.sent >= 10_000
    assert rss_after - rss_before < RSS_GROWTH_MB, f"RSS grew from {rss_before:.0f} MB to {rss_after:.0f} MB"

    server.flush()
    leaked = marked_rows_with(server.data_dir, MARKER)
    assert not leaked, f"{len(leaked)} rows from rejected requests were stored, e.g. " \
                       f"{[(r['table'], r['column'], r.get('message_id') or r.get('id')) for r in leaked[:5]]}"
    stored = {r["message_id"] for r in marked_rows_with(server.data_dir, "chaosok-")}
    assert stored == set(control), f"control events stored: {len(stored)} of {len(control)}"


def test_broken_body_framing_is_a_4xx(server: FloeServer):
    answers = []
    for request, half_close in BROKEN_BODY_FRAMING:
        answer = raw_exchange(server.port, request, half_close=half_close)
        answers.append((request[:70], answer[:40]))
    assert not [a for a in answers if a[1].startswith(b"HTTP/1.1 5")], answers
    assert server.get("/health").status_code == 200

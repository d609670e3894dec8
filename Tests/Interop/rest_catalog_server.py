"""A real Iceberg REST catalog over pyiceberg's SqlCatalog, with fault injection for interop tests.

    server = RestCatalogServer(tmp_path)          # warehouse = tmp_path/warehouse (file://), catalog.db beside it
    server.start()                                # server.uri -> http://127.0.0.1:PORT
    server.faults.commit_statuses = [409, 503]    # the next two commits fail before applying
    server.faults.fail_after_apply = 1            # the next commit is applied, then answered 503
    server.go_down(2.0)                           # refuse connections for 2 s
    server.stop()

Routes (rest-catalog-open-api.yaml): GET /v1/config, POST /v1/oauth/tokens, namespaces list/create/load,
tables list/create/load/drop, and commit (`CommitTableRequest.model_validate(body)` then
`catalog.commit_table(...)`). Auth: `token=` requires that bearer token; `oauth_clients={id: secret}` issues
tokens (lifetime `token_ttl` s) at /v1/oauth/tokens and requires one. `idempotency=True` advertises
`idempotency-key-lifetime` and replays finalized answers (2xx, 4xx) of a repeated `Idempotency-Key`.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import (CommitFailedException, NamespaceAlreadyExistsError, NoSuchNamespaceError,
                                  NoSuchTableError, TableAlreadyExistsError)
from pyiceberg.partitioning import PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import CommitTableRequest
from pyiceberg.table.update import RemoveSnapshotsUpdate

SEPARATOR = "\x1f"


@dataclass
class Faults:
    """Knobs the tests turn; each list/counter is consumed by the next matching requests."""
    commit_statuses: list[int] = field(default_factory=list)  # answered before applying (409, 500, 503, ...)
    fail_after_apply: int = 0        # commits applied, then answered 503
    slow_commits: int = 0            # commits applied after sleeping `slow_seconds` (past the client timeout)
    slow_seconds: float = 0.0
    slow_expiries: int = 0           # commits that remove snapshots, applied after sleeping `slow_seconds`
    read_statuses: list[int] = field(default_factory=list)  # GET answers (transient 5xx for reads)
    commit_redirects: int = 0        # commits answered 303 See Other to the table's URL, not applied
    expiry_statuses: list[int] = field(default_factory=list)  # answers to commits that remove snapshots, not applied
    expiries_preempted: int = 0      # commits that remove snapshots find the oldest of them removed first (another
                                     # expiry won), and are refused as pyiceberg refuses them (400)


class RestCatalogServer:
    def __init__(self, root: Path, *, prefix: str = "floe", token: str | None = None,
                 oauth_clients: dict[str, str] | None = None, token_ttl: int = 3600, idempotency: bool = False,
                 vended_config: dict[str, str] | None = None, warehouse_name: str = "interop",
                 warehouse: str | None = None, catalog_properties: dict[str, str] | None = None,
                 config_defaults: dict[str, str] | None = None, config_overrides: dict[str, str] | None = None):
        root.mkdir(parents=True, exist_ok=True)
        (root / "warehouse").mkdir(exist_ok=True)
        self.root, self.prefix, self.token, self.token_ttl = root, prefix, token, token_ttl
        self.oauth_clients = oauth_clients or {}
        self.idempotency, self.vended_config, self.warehouse_name = idempotency, vended_config or {}, warehouse_name
        # Added to what GET /v1/config answers (storage settings a catalog hands every client).
        self.config_defaults, self.config_overrides = config_defaults or {}, config_overrides or {}
        # `warehouse` (for example s3://bucket/prefix, with `catalog_properties` for its FileIO) replaces the
        # local directory.
        self.catalog = SqlCatalog("floe", uri=f"sqlite:///{root}/catalog.db", warehouse=warehouse or f"file://{root}/warehouse",
                                  **(catalog_properties or {}))
        self.faults = Faults()
        self.lock = threading.Lock()           # one catalog operation at a time (SQLite, fault bookkeeping)
        self.issued: dict[str, float] = {}     # OAuth token -> expiry (time.monotonic)
        self.replies: dict[str, tuple[int, bytes]] = {}  # Idempotency-Key -> finalized answer
        self.log: list[dict] = []              # per request: method, path, status, idempotency key, auth present
        self.commits_applied = 0
        self.port = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "RestCatalogServer":
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def go_down(self, seconds: float) -> None:
        """Refuse connections for `seconds`, then listen again on the same port."""
        self.stop()
        threading.Timer(seconds, self.start).start()

    def revoke_tokens(self) -> None:
        with self.lock:
            self.issued.clear()

    # ------------------------------------------------------------------ request handling

    def authorized(self, header: str | None) -> bool:
        if not self.token and not self.oauth_clients:
            return True
        if not header or not header.startswith("Bearer "):
            return False
        value = header[len("Bearer "):]
        if self.token and value == self.token:
            return True
        with self.lock:
            return self.issued.get(value, 0) > time.monotonic()

    def issue_token(self, form: dict[str, list[str]]) -> tuple[int, dict]:
        client, secret = form.get("client_id", [""])[0], form.get("client_secret", [""])[0]
        if form.get("grant_type", [""])[0] != "client_credentials" or self.oauth_clients.get(client) != secret:
            return 401, {"error": "invalid_client", "error_description": "unknown client"}
        with self.lock:
            value = f"tok-{len(self.issued) + 1}-{time.monotonic_ns()}"
            self.issued[value] = time.monotonic() + self.token_ttl
        return 200, {"access_token": value, "token_type": "bearer", "expires_in": self.token_ttl,
                     "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                     "scope": form.get("scope", [""])[0]}

    def table_result(self, table, delegated: bool) -> dict:
        return {"metadata-location": table.metadata_location, "metadata": json.loads(table.metadata.model_dump_json()),
                "config": dict(self.vended_config) if delegated else {}}

    def route(self, method: str, parts: list[str], query: dict, body: dict | None, delegated: bool) -> tuple[int, dict | None]:
        if parts == ["v1", "config"]:
            config = {"defaults": {"clients": "1", **self.config_defaults},
                      "overrides": {**self.config_overrides, "prefix": self.prefix}}
            if self.idempotency:
                config["idempotency-key-lifetime"] = "PT30M"
            return 200, config
        if len(parts) < 3 or parts[0] != "v1" or parts[1] != self.prefix or parts[2] != "namespaces":
            return 404, _error(404, "NotFoundException", f"no route {method} /{'/'.join(parts)}")
        rest = parts[3:]
        if not rest and method == "GET":
            parent = query.get("parent", [""])[0]
            found = self.catalog.list_namespaces(tuple(parent.split(SEPARATOR)) if parent else ())
            return 200, {"namespaces": [list(ns) for ns in found]}
        if not rest and method == "POST":
            self.catalog.create_namespace(tuple(body["namespace"]), body.get("properties") or {})
            return 200, {"namespace": body["namespace"], "properties": body.get("properties") or {}}
        namespace = tuple(rest[0].split(SEPARATOR))
        if len(rest) == 1 and method in ("GET", "HEAD"):
            return 200, {"namespace": list(namespace), "properties": self.catalog.load_namespace_properties(namespace)}
        if len(rest) == 2 and rest[1] == "tables" and method == "GET":
            return 200, {"identifiers": [{"namespace": list(ns), "name": name}
                                         for *ns, name in self.catalog.list_tables(namespace)]}
        if len(rest) == 2 and rest[1] == "tables" and method == "POST":
            self.catalog.load_namespace_properties(namespace)  # NoSuchNamespaceError -> 404
            table = self.catalog.create_table(
                namespace + (body["name"],), schema=Schema.model_validate(body["schema"]),
                partition_spec=PartitionSpec.model_validate(body.get("partition-spec") or {"spec-id": 0, "fields": []}),
                properties=body.get("properties") or {})
            return 200, self.table_result(table, delegated)
        if len(rest) == 3 and rest[1] == "tables":
            identifier = namespace + (rest[2],)
            if method == "GET":
                return 200, self.table_result(self.catalog.load_table(identifier), delegated)
            if method == "DELETE":
                self.catalog.drop_table(identifier)
                return 204, None
            if method == "POST":
                return self.commit(identifier, body)
        return 405, _error(405, "MethodNotAllowed", f"{method} not supported here")

    def commit(self, identifier: tuple, body: dict) -> tuple[int, dict]:
        faults = self.faults
        if faults.commit_statuses:
            status = faults.commit_statuses.pop(0)
            kind = "CommitFailedException" if status == 409 else "CommitStateUnknownException"
            return status, _error(status, kind, "injected failure before applying")
        expiry = any(update.get("action") == "remove-snapshots" for update in body.get("updates", []))
        if expiry and faults.expiry_statuses:
            status = faults.expiry_statuses.pop(0)
            return status, _error(status, "CommitFailedException", "injected failure of an expiry before applying")
        body.setdefault("identifier", {"namespace": list(identifier[:-1]), "name": identifier[-1]})
        request = CommitTableRequest.model_validate(body)
        table = self.catalog.load_table(identifier)
        if expiry and faults.expiries_preempted:
            faults.expiries_preempted -= 1
            first = next(u for u in body["updates"] if u.get("action") == "remove-snapshots")["snapshot-ids"][0]
            self.catalog.commit_table(table, (), (RemoveSnapshotsUpdate(snapshot_ids=[first]),))
            table = self.catalog.load_table(identifier)
        response = self.catalog.commit_table(table, request.requirements, request.updates)
        self.commits_applied += 1
        result = {"metadata-location": response.metadata_location,
                  "metadata": json.loads(response.metadata.model_dump_json())}
        if faults.slow_commits or (expiry and faults.slow_expiries):
            if faults.slow_commits:
                faults.slow_commits -= 1
            else:
                faults.slow_expiries -= 1
            result["_sleep"] = faults.slow_seconds  # slept outside the lock, so reloads are not held up
        if faults.fail_after_apply:
            faults.fail_after_apply -= 1
            return 503, _error(503, "ServiceUnavailableException", "injected failure after applying", replay=(200, result))
        return 200, result


def _error(code: int, kind: str, message: str, replay: tuple[int, dict] | None = None) -> dict:
    payload = {"error": {"message": message, "type": kind, "code": code}}
    if replay:
        payload["_replay"] = replay  # stripped before sending; what an idempotent replay answers
    return payload


_EXCEPTIONS = [
    (CommitFailedException, 409, "CommitFailedException"), (NoSuchTableError, 404, "NoSuchTableException"),
    (NoSuchNamespaceError, 404, "NoSuchNamespaceException"), (TableAlreadyExistsError, 409, "AlreadyExistsException"),
    (NamespaceAlreadyExistsError, 409, "AlreadyExistsException"), (ValueError, 400, "BadRequestException"),
]


class _Handler(BaseHTTPRequestHandler):
    server_state: RestCatalogServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _serve(self, method: str) -> None:
        state = self.server_state
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        key = self.headers.get("Idempotency-Key")
        entry = {"method": method, "path": url.path, "key": key, "auth": bool(self.headers.get("Authorization"))}
        state.log.append(entry)
        if url.path == "/v1/oauth/tokens" and method == "POST":
            status, payload = state.issue_token(parse_qs(raw.decode()))
            return self._reply(entry, status, payload)
        if not state.authorized(self.headers.get("Authorization")):
            return self._reply(entry, 401, _error(401, "NotAuthorizedException", "missing or invalid token"))
        if state.idempotency and key and key in state.replies:
            status, data = state.replies[key]
            entry["replayed"] = True
            return self._send(entry, status, data)
        if method == "POST" and "/tables/" in url.path and state.faults.commit_redirects:
            # What a misconfigured proxy does: a client that follows it GETs the table and reads 200.
            state.faults.commit_redirects -= 1
            return self._send(entry, 303, b"", headers={"Location": self.path})
        if method == "GET" and state.faults.read_statuses:
            status = state.faults.read_statuses.pop(0)
            return self._reply(entry, status, _error(status, "ServiceUnavailableException", "injected read failure"))
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        try:
            body = json.loads(raw) if raw else None
            with state.lock:
                status, payload = state.route(method, parts, parse_qs(url.query), body,
                                              "vended-credentials" in (self.headers.get("X-Iceberg-Access-Delegation") or ""))
        except Exception as error:  # noqa: BLE001 - map catalog exceptions to the spec's answers
            status, kind = next(((s, k) for e, s, k in _EXCEPTIONS if isinstance(error, e)), (500, "ServerError"))
            payload = _error(status, kind, str(error))
        replay = payload.pop("_replay", None) if isinstance(payload, dict) else None
        if isinstance(payload, dict) and "_sleep" in payload:
            time.sleep(payload.pop("_sleep"))
        if state.idempotency and key and method != "GET":
            final = replay or (status, payload)
            if final[0] < 500:
                state.replies[key] = (final[0], json.dumps(final[1]).encode() if final[1] is not None else b"")
        self._reply(entry, status, payload)

    def _reply(self, entry: dict, status: int, payload: dict | None) -> None:
        self._send(entry, status, json.dumps(payload).encode() if payload is not None else b"")

    def _send(self, entry: dict, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        entry["status"] = status
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

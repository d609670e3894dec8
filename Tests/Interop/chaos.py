"""Shared helpers of the reliability suite (test_chaos_*.py) and of soak.py.

- `Client`: a thread that sends fresh events (Segment batches, single tracks, CloudEvents) to whatever port the
  server listens on now, retrying each request with the same ids until it is acknowledged, as an SDK does;
  it records what was acknowledged and what was given up on.
- `Ledger`: the acknowledged events of all clients compared with the rows of the tables: 0 lost, 0 duplicated,
  no unacknowledged request half-stored, no row nobody sent.
- `kill_during_flush`: SIGKILL timed right after a `/debug/flush` was sent, so kills land in encode/upload/commit.
- `assert_snapshot_chain`: the snapshot log of a table is one valid chain and its files hold exactly its rows.
- `ProcessProbe`: RSS and open file descriptors of the server process; `small_filesystem`: a tmpfs of N MB.
"""
from __future__ import annotations

import itertools
import os
import random
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from corpus import CLOUDEVENTS_JSON, dumps, generate
from lake import local_path

CLOUDEVENTS_BATCH_JSON = "application/cloudevents-batch+json"

# What a client request carries, and which table and key column its events land in.
KINDS = {
    # kind: (table, key column of the table, key field of the sent event)
    "batch": ("events", "message_id", "messageId"),
    "track": ("events", "message_id", "messageId"),
    "cloudevents": ("cloudevents", "id", "id"),
}


@dataclass
class Request:
    """One logical request: its body and the ids of the events it carries."""
    kind: str
    path: str
    body: bytes
    content_type: str
    ids: list[str]

    @property
    def table(self) -> str:
        return KINDS[self.kind][0]


class Client(threading.Thread):
    """Sends requests of fresh events until `stop` is set; each one is retried with the same ids until a 200.

    `kinds` is cycled through ("batch", "track", "cloudevents"); with `duplicates` > 0 that share of the requests
    re-sends an already acknowledged body (a retry after a lost answer), which must be acknowledged and stored once;
    `resend_recent` limits those to the client's last N acknowledged requests (so they stay inside the dedup window).
    `url` is a callable, so a client follows a server that restarts on another port.
    """

    def __init__(self, url, seed: int, stop: threading.Event, *, kinds=("batch",), batch: int = 50,
                 duplicates: float = 0.0, headers: dict | None = None, timeout: float = 10.0,
                 give_up_after: float = 60.0, pause: float = 0.0, resend_recent: int | None = None):
        super().__init__(daemon=True, name=f"client-{seed}")
        self.url, self.seed, self.stop, self.kinds, self.batch = url, seed, stop, kinds, batch
        self.duplicates, self.headers, self.timeout = duplicates, headers or {}, timeout
        self.give_up_after, self.pause, self.resend_recent = give_up_after, pause, resend_recent
        self.acked: list[Request] = []
        self.unacked: list[Request] = []
        self.statuses: Counter = Counter()   # HTTP status (or exception name) of every attempt
        self.resent = 0                      # acknowledged duplicates sent on purpose
        self.resent_requests: list[Request] = []
        self.http = requests.Session()
        self.rng = random.Random(seed)
        self._segment = generate(300, seed=1000 + seed)
        self._tracks = [e for e in self._segment if e["type"] == "track"]
        self._cloudevents = generate(100, seed=2000 + seed, fmt="cloudevents")

    # ------------------------------------------------------------------ requests

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def make(self, kind: str) -> Request:
        if kind == "batch":
            events = [dict(e, messageId=self._uuid()) for e in self.rng.sample(self._segment, self.batch)]
            return Request(kind, "/v1/batch", dumps({"batch": events}), "application/json",
                           [e["messageId"] for e in events])
        if kind == "track":
            event = dict(self.rng.choice(self._tracks), messageId=self._uuid())
            return Request(kind, "/v1/track", dumps(event), "application/json", [event["messageId"]])
        if kind == "cloudevents":
            count = max(1, self.batch // 5)
            events = [dict(e, id=self._uuid()) for e in self.rng.sample(self._cloudevents, count)]
            if count == 1:
                return Request(kind, "/events", dumps(events[0]), CLOUDEVENTS_JSON, [events[0]["id"]])
            return Request(kind, "/events/batch", dumps(events), CLOUDEVENTS_BATCH_JSON, [e["id"] for e in events])
        raise ValueError(kind)

    def send(self, request: Request) -> bool:
        """Posts until a 200 (True) or `give_up_after` seconds passed (False)."""
        deadline = time.monotonic() + self.give_up_after
        while True:
            try:
                response = self.http.post(self.url() + request.path, data=request.body, timeout=self.timeout,
                                          headers={"Content-Type": request.content_type, **self.headers})
                self.statuses[response.status_code] += 1
                if response.status_code == 200:
                    return True
                backoff = min(float(response.headers.get("Retry-After") or 0.05), 0.5)
            except requests.RequestException as error:
                self.statuses[type(error).__name__] += 1
                backoff = 0.05
            if time.monotonic() > deadline:
                return False
            time.sleep(backoff)

    def run(self) -> None:
        kinds = itertools.cycle(self.kinds)
        while not self.stop.is_set():
            if self.acked and self.rng.random() < self.duplicates:
                pool = self.acked[-self.resend_recent:] if self.resend_recent else self.acked
                again = self.rng.choice(pool)
                if self.send(again):
                    self.resent += 1
                    self.resent_requests.append(again)
                continue
            request = self.make(next(kinds))
            (self.acked if self.send(request) else self.unacked).append(request)
            if self.pause:
                time.sleep(self.pause)


def start_clients(url, count: int, stop: threading.Event, seed: int = 0, **options) -> list[Client]:
    clients = [Client(url, seed + i, stop, **options) for i in range(count)]
    for client in clients:
        client.start()
    return clients


def stop_clients(clients: list[Client], stop: threading.Event, timeout: float = 90.0) -> None:
    stop.set()
    deadline = time.monotonic() + timeout
    for client in clients:
        client.join(max(0.1, deadline - time.monotonic()))
    alive = [c.name for c in clients if c.is_alive()]
    assert not alive, f"clients still sending after {timeout:.0f} s: {alive}"


# ---------------------------------------------------------------------- the ledger


def key_counts(table, column: str) -> Counter:
    """How many rows of a pyiceberg table carry each value of `column`."""
    return Counter(table.scan(selected_fields=(column,)).to_arrow().column(column).to_pylist())


@dataclass
class Verdict:
    acked_requests: int = 0
    acked_events: int = 0
    unacked_requests: int = 0
    rows: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    half_stored: list[list[str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"acked_requests={self.acked_requests} acked_events={self.acked_events} "
                f"unacked_requests={self.unacked_requests} rows={self.rows} lost={len(self.lost)} "
                f"duplicated={len(self.duplicated)} half_stored={len(self.half_stored)} unknown={len(self.unknown)}")

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.half_stored or self.unknown)

    def assert_ok(self) -> None:
        assert not self.lost, f"{len(self.lost)} acknowledged events missing, e.g. {self.lost[:5]} ({self.summary()})"
        assert not self.duplicated, \
            f"{len(self.duplicated)} events stored more than once, e.g. {self.duplicated[:5]} ({self.summary()})"
        assert not self.half_stored, \
            f"{len(self.half_stored)} unacknowledged requests half-stored, e.g. {self.half_stored[:2]}"
        assert not self.unknown, f"{len(self.unknown)} rows nobody sent, e.g. {self.unknown[:5]}"


def verdict(clients: list[Client], tables: dict, extra_expected: dict[str, list[str]] | None = None,
            foreign: dict[str, set[str]] | None = None) -> Verdict:
    """Compares what `clients` got acknowledged with `tables` ({"events": Table | None, "cloudevents": ...}).

    `extra_expected` lists keys per table that other writers stored and must be there exactly once too;
    `foreign` lists keys per table that may be there (at most once) without being checked for loss.
    """
    v = Verdict()
    counts: dict[str, Counter] = {}
    for name, table in tables.items():
        column = "message_id" if name == "events" else "id"
        counts[name] = key_counts(table, column) if table is not None else Counter()
        v.rows += sum(counts[name].values())
    known: dict[str, set[str]] = {name: set() for name in tables}
    for client in clients:
        for request in client.acked:
            v.acked_requests += 1
            v.acked_events += len(request.ids)
            known[request.table].update(request.ids)
            v.lost += [i for i in request.ids if counts[request.table][i] == 0]
        for request in client.unacked:
            v.unacked_requests += 1
            known[request.table].update(request.ids)
            stored = sum(1 for i in request.ids if counts[request.table][i])
            if 0 < stored < len(request.ids):
                v.half_stored.append(request.ids)
    for name, keys in (extra_expected or {}).items():
        known[name].update(keys)
        v.lost += [k for k in keys if counts[name][k] == 0]
    for name, keys in (foreign or {}).items():
        known[name].update(keys)
    for name, counter in counts.items():
        v.duplicated += [k for k, n in counter.items() if n > 1]
        v.unknown += [k for k in counter if k not in known[name]]
    return v


# ---------------------------------------------------------------------- kills timed with flushes


def kill_during_flush(server, rng: random.Random, max_delay: float = 0.25, headers: dict | None = None) -> None:
    """Sends POST /debug/flush without waiting for it, then SIGKILLs the server `0..max_delay` s later."""
    url = server.url + "/debug/flush"

    def flush():
        try:
            requests.post(url, headers=headers or {}, timeout=30)
        except requests.RequestException:
            pass  # the kill cuts the answer off

    threading.Thread(target=flush, daemon=True).start()
    time.sleep(rng.uniform(0.0, max_delay))
    server.kill()


# ---------------------------------------------------------------------- snapshot chain


def assert_snapshot_chain(table, require_commit_ids: bool = False) -> dict:
    """The table's snapshots form one chain from the current snapshot back to the first (parents exist,
    sequence numbers increase, every snapshot is an append), `floe.commit-id`s are unique, and the live data
    files (`inspect.files()`) hold exactly the rows a scan returns, each file listed once and present.
    Returns a few figures for reports."""
    metadata = table.metadata
    by_id = {s.snapshot_id: s for s in metadata.snapshots}
    inspected = table.inspect.snapshots().to_pylist()
    assert {row["snapshot_id"] for row in inspected} == set(by_id), "inspect.snapshots() disagrees with metadata"
    chain, current = [], metadata.current_snapshot()
    while current is not None:
        chain.append(current)
        parent = current.parent_snapshot_id
        assert parent is None or parent in by_id, f"snapshot {current.snapshot_id}: parent {parent} not in the log"
        current = by_id.get(parent) if parent is not None else None
    assert len(chain) == len(by_id), f"{len(by_id) - len(chain)} snapshots are not ancestors of the current one"
    sequence = [s.sequence_number for s in reversed(chain)]
    assert sequence == sorted(set(sequence)), f"sequence numbers do not increase along the chain: {sequence}"
    assert max(sequence, default=0) <= metadata.last_sequence_number
    operations = Counter(str(s.summary.operation.value) if s.summary else None for s in chain)
    assert set(operations) <= {"append"}, f"unexpected operations {operations}"
    commit_ids = [s.summary.additional_properties.get("floe.commit-id") for s in chain if s.summary]
    floe_ids = [c for c in commit_ids if c]
    assert len(floe_ids) == len(set(floe_ids)), \
        f"a floe.commit-id was committed twice: {[c for c, n in Counter(floe_ids).items() if n > 1]}"
    if require_commit_ids:
        assert len(floe_ids) == len(chain), "a snapshot without floe.commit-id"
    files = table.inspect.files().to_pylist()
    paths = [f["file_path"] for f in files]
    assert len(paths) == len(set(paths)), "a data file is listed twice"
    scanned = table.scan(selected_fields=("received_at",)).to_arrow().num_rows if chain else 0
    assert sum(f["record_count"] for f in files) == scanned, \
        f"files hold {sum(f['record_count'] for f in files)} rows, the scan returns {scanned}"
    added = sum(int(s.summary.additional_properties.get("added-records", 0)) for s in chain if s.summary)
    assert added == scanned, f"snapshot summaries add {added} records, the table holds {scanned}"
    if chain and chain[0].summary:
        total = chain[0].summary.additional_properties.get("total-records")
        assert total is None or int(total) == scanned, f"total-records {total}, the table holds {scanned}"
    for path in paths:
        if path.startswith(("file:", "/")):
            assert os.path.exists(local_path(path)), f"data file {path} is listed but missing"
    return {"snapshots": len(chain), "floe_commits": len(floe_ids), "files": len(files), "rows": scanned}


# ---------------------------------------------------------------------- process and disk figures


@dataclass
class ProcessProbe:
    """RSS and open file descriptors of a process (Linux /proc)."""
    pid: int

    def rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


def tree_size(path: Path) -> int:
    """Bytes of all regular files under `path`."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total


def buffer_db_size(data_dir: Path) -> int:
    """buffer.db plus its -wal and -shm files, in bytes."""
    return sum(os.path.getsize(p) for p in (data_dir / n for n in ("buffer.db", "buffer.db-wal", "buffer.db-shm"))
               if p.exists())


class MountError(RuntimeError):
    pass


@contextmanager
def small_filesystem(path: Path, size_mb: int):
    """Mounts a tmpfs of `size_mb` MB at `path` (created if needed) for the duration; MountError if not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise MountError(f"mount -t tmpfs failed ({done.returncode}): {done.stderr.strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(path: Path, leave_bytes: int) -> int:
    """Writes `path` until the filesystem it is on has about `leave_bytes` free; returns the bytes written."""
    stat = os.statvfs(path.parent)
    size = max(0, stat.f_bavail * stat.f_frsize - leave_bytes)
    chunk = b"\0" * (1 << 20)
    written = 0
    with open(path, "wb") as out:
        while written < size:
            try:
                written += out.write(chunk[:min(len(chunk), size - written)])
            except OSError:
                break
    return written


# ---------------------------------------------------------------------- a catalog that goes down


class TcpRelay:
    """A TCP relay from a local port to 127.0.0.1:`upstream_port` that can go down for a while.

    `down(seconds)` closes the listening socket and cuts every open connection (keep-alive connections
    included), so clients see refused connections and resets, then listens again on the same port.
    """

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.port = 0
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.outages = 0

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "TcpRelay":
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
        if listener is not None:
            _close(listener)
        for connection in connections:
            _close(connection)

    def down(self, seconds: float) -> threading.Timer:
        """Down now, up again after `seconds` (the returned timer)."""
        self.outages += 1
        self.stop()
        timer = threading.Timer(seconds, self.start)
        timer.daemon = True
        timer.start()
        return timer

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:
                    _close(client), _close(upstream)
                    return
                self._connections |= {client, upstream}
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for s in (source, target):
            _close(s)
        with self._lock:
            self._connections -= {source, target}


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


# ---------------------------------------------------------------------- another writer of the same table


class ConcurrentWriter(threading.Thread):
    """A pyiceberg writer appending small batches to the same table in a loop (another Iceberg client, or a
    compaction job), so Floe's commits keep losing the optimistic race (409 storms).

    It opens the catalog's SQLite database itself; ids of the rows it committed are in `committed`, and an
    append that failed with CommitFailedException stored nothing.
    """

    def __init__(self, catalog_db: Path, warehouse: str, identifier: str, stop: threading.Event,
                 rows_per_append: int = 3, pause: float = 0.0):
        super().__init__(daemon=True, name="pyiceberg-writer")
        self.catalog_db, self.warehouse, self.identifier = catalog_db, warehouse, identifier
        self.stop, self.rows_per_append, self.pause = stop, rows_per_append, pause
        self.committed: list[str] = []
        self.conflicts = 0
        self.errors: list[str] = []
        self.active = threading.Event()   # set while appends are wanted
        self.active.set()

    def run(self) -> None:
        import datetime as dt

        import pyarrow as pa
        from pyiceberg.catalog.sql import SqlCatalog
        from pyiceberg.exceptions import CommitFailedException

        catalog = SqlCatalog("floe", uri=f"sqlite:///{self.catalog_db}", warehouse=self.warehouse)
        serial = itertools.count()
        while not self.stop.is_set():
            if not self.active.wait(0.2):
                continue
            try:
                table = catalog.load_table(self.identifier)
                now = dt.datetime.now(dt.timezone.utc)
                ids = [f"writer-{next(serial)}-{uuid.uuid4().hex[:8]}" for _ in range(self.rows_per_append)]
                schema = table.schema().as_arrow()
                columns = {f.name: [None] * len(ids) for f in schema}
                columns.update(message_id=ids, type=["track"] * len(ids), event=["Concurrent Append"] * len(ids),
                               user_id=["pyiceberg"] * len(ids), timestamp=[now] * len(ids),
                               received_at=[now] * len(ids))
                table.append(pa.Table.from_pydict(columns, schema=schema))
                self.committed += ids
            except CommitFailedException:
                self.conflicts += 1
            except Exception as error:  # noqa: BLE001 - reported by the test
                self.errors.append(f"{type(error).__name__}: {error}")
                time.sleep(0.2)
            if self.pause:
                time.sleep(self.pause)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """Polls `predicate` until it returns a truthy value (returned) or `timeout` seconds passed (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def flush_until_empty(server, headers: dict | None = None, timeout: float = 90.0) -> list[int]:
    """POST /debug/flush until it answers 200 and nothing is buffered; returns the statuses seen on the way."""
    statuses = []

    def flushed() -> bool:
        try:
            response = server.http.post(server.url + "/debug/flush", headers=headers or {}, timeout=70)
        except requests.RequestException as error:
            statuses.append(type(error).__name__)
            return False
        statuses.append(response.status_code)
        if response.status_code != 200:
            time.sleep(0.5)
            return False
        status = server.http.get(server.url + "/debug/status", headers=headers or {}, timeout=30).json()
        return status["buffered_count"] == 0

    wait_until(flushed, timeout, f"an empty buffer after /debug/flush (statuses {statuses[-10:]})")
    return statuses


def marked_rows_with(data_dir: Path, needle: str) -> list[dict]:
    """Rows of either table of an embedded-catalog data directory with `needle` in any string or map column."""
    import json

    import pyarrow as pa
    import pyarrow.compute as pc
    from pyiceberg.exceptions import NoSuchTableError

    from lake import load_table

    found = []
    for name in ("events", "cloudevents"):
        try:
            table = load_table(data_dir, name).scan().to_arrow()
        except NoSuchTableError:
            continue
        for column_name in table.column_names:
            column = table.column(column_name)
            if pa.types.is_map(column.type):
                hits = [i for i, v in enumerate(column.to_pylist()) if v and needle in json.dumps(v)]
            elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                mask = pc.fill_null(pc.match_substring(column, needle), False)
                hits = [i for i, hit in enumerate(mask.to_pylist()) if hit]
            else:
                continue
            found += [{"table": name, "column": column_name, **table.slice(i, 1).to_pylist()[0]} for i in hits]
    return found

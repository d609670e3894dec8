"""A `floe serve` process for tests: start on a free loopback port, wait for health, stop.

Every start of a server appends to one log file (stdout and stderr together), so
a test that restarts Floe on the same data directory keeps the whole story in one
place; conftest.py attaches that log to the report of a failing test.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

from corpus import CLOUDEVENTS_JSON, batch_bodies, dumps

# Variables a developer's shell may carry that would change how Floe starts.
_INHERITED_PREFIXES = ("FLOE_", "ICEBERG_", "R2_CATALOG_", "AUTH_", "ALLOWED_ORIGINS", "AWS_")

# Only explicit /debug/flush calls write tables, unless a test says otherwise. A stopped server exits without
# the drain delay (2 s by default, for a load balancer to notice): the tests of draining set their own.
DEFAULT_ENV = {"ICEBERG_BUFFER_TIMEOUT_MS": "3600000", "FLOE_DRAIN_DELAY_MS": "0"}

STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FloeServer:
    """One data directory served by `floe serve`, started and stopped as a test needs."""

    def __init__(self, binary: Path, data_dir: Path, log_path: Path, env: dict[str, str] | None = None):
        self.binary = Path(binary)
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.env = {**DEFAULT_ENV, **(env or {})}
        self.port: int | None = None
        # Listen on this port at every start (behind a load balancer), instead of a new free one.
        self.fixed_port: int | None = None
        # The address `floe serve --host` listens on ("::": dual-stack, IPv4 clients seen as ::ffff:a.b.c.d).
        self.host = "127.0.0.1"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.http = requests.Session()

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        assert self.port is not None, "server not started"
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, env: dict[str, str] | None = None) -> FloeServer:
        """Start (or restart) on a new free port and return once GET /health answers 200."""
        assert not self.running, "server already running"
        if env:
            self.env.update(env)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.fixed_port or free_port()
        self.starts += 1
        command = [str(self.binary), "serve", "--host", self.host, "--port", str(self.port),
                   "--data-dir", str(self.data_dir)]
        with self.log_path.open("ab") as log:
            log.write(f"=== start {self.starts}: {' '.join(command)} (env {self.env})\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command, env=self._process_env(), cwd=self.data_dir.parent,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self._wait_healthy()
        return self

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM, wait up to `timeout` seconds, then SIGKILL. Returns the exit code."""
        if not self.running:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._note(f"did not exit {timeout:.0f} s after SIGTERM: SIGKILL")
            return self.kill()

    def kill(self) -> int | None:
        """SIGKILL: the crash case, nothing gets flushed on the way out."""
        if not self.running:
            return self.process.returncode if self.process else None
        self.process.kill()
        return self.process.wait(STOP_TIMEOUT_S)

    def restart(self, how: str = "term", env: dict[str, str] | None = None) -> FloeServer:
        """Stop (`how` = "term" or "kill") and start again on the same data directory."""
        if how == "kill":
            self.kill()
        else:
            self.stop()
        return self.start(env)

    def _process_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
        env.update(self.env)
        return env

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"floe exited with {self.process.returncode} during start-up\n{self.log_tail()}")
            try:
                if self.http.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"floe did not answer GET /health within {STARTUP_TIMEOUT_S:.0f} s\n{self.log_tail()}")

    # ------------------------------------------------------------------ HTTP

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.url + path, timeout=REQUEST_TIMEOUT_S, **kwargs)

    def post(self, path: str, body: bytes | None = None, content_type: str = "application/json",
             **kwargs) -> requests.Response:
        headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
        return self.http.post(self.url + path, data=body, headers=headers, timeout=REQUEST_TIMEOUT_S, **kwargs)

    def send_batches(self, events: list[dict], size: int, **batch_fields) -> None:
        """POST the events as /v1/batch bodies of `size`; each must be acknowledged with 200 and its count."""
        for chunk, body in batch_bodies(events, size, **batch_fields):
            response = self.post("/v1/batch", body)
            assert response.status_code == 200, f"POST /v1/batch: {response.status_code} {response.text}"
            answer = response.json()
            assert answer.get("success") is True and answer.get("count") == len(chunk), \
                f"POST /v1/batch of {len(chunk)}: {answer}"

    def send_message(self, message: dict, kind: str) -> None:
        """POST one Segment message to /v1/{kind}."""
        response = self.post(f"/v1/{kind}", dumps(message))
        assert response.status_code == 200, f"POST /v1/{kind}: {response.status_code} {response.text}"

    def send_cloudevents(self, events: list[dict]) -> None:
        """POST each event alone to /events in structured mode; each must be acknowledged (200 or 202)."""
        for event in events:
            response = self.post("/events", dumps(event), content_type=CLOUDEVENTS_JSON)
            assert response.status_code in (200, 202), f"POST /events: {response.status_code} {response.text}"

    def flush(self, event_type: str | None = None) -> dict:
        """POST /debug/flush[/{type}]; Floe answers after the commit."""
        path = "/debug/flush" + (f"/{event_type}" if event_type else "")
        response = self.post(path)
        assert response.status_code == 200, f"POST {path}: {response.status_code} {response.text}"
        return response.json()

    # ------------------------------------------------------------------ logs

    def log_tail(self, max_chars: int = 20_000) -> str:
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace")
        return text if len(text) <= max_chars else "...\n" + text[-max_chars:]

    def log_sections(self) -> list[tuple[str, str]]:
        return [(f"floe log {self.log_path}", self.log_tail())]

    def _note(self, message: str) -> None:
        with self.log_path.open("a") as log:
            log.write(f"=== harness: {message}\n")


class FloeLauncher:
    """Makes servers for a test session, each with its own data directory and log under `base_dir`."""

    def __init__(self, binary: Path, base_dir: Path):
        self.binary = binary
        self.base_dir = Path(base_dir)
        self.count = 0

    def new(self, name: str = "floe", env: dict[str, str] | None = None, data_dir: Path | None = None) -> FloeServer:
        self.count += 1
        home = self.base_dir / f"{name}-{self.count}"
        home.mkdir(parents=True)
        return FloeServer(self.binary, data_dir or home / "data", home / "floe.log", env)


class FloeFactory:
    """`floe(env=...)` starts a server; all of them are stopped when the test ends."""

    def __init__(self, launcher: FloeLauncher, name: str):
        self.launcher = launcher
        self.name = name
        self.servers: list[FloeServer] = []

    def __call__(self, env: dict[str, str] | None = None, data_dir: Path | None = None) -> FloeServer:
        server = self.launcher.new(self.name, env, data_dir)
        self.servers.append(server)
        return server.start()

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()

    def log_sections(self) -> list[tuple[str, str]]:
        return [section for server in self.servers for section in server.log_sections()]

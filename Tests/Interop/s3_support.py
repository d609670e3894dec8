"""Helpers of test_s3_fileio.py: a moto S3 server with SigV4 enforced, a fault-injecting proxy, the Swift driver.

moto enforces authentication once INITIAL_NO_AUTH_ACTION_COUNT unauthenticated calls have been made; the first
three create an IAM user, its access key and an allow-all policy, after which every request must carry a valid
SigV4 signature from that key.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import socketserver
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def moto_server_command() -> list[str] | None:
    """`moto_server` from the venv next to this Python, or from PATH."""
    import sys

    beside = Path(sys.executable).with_name("moto_server")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("moto_server")
    return [found] if found else None


@dataclass
class MotoS3:
    """A running moto server and the credentials of its one IAM user."""

    process: subprocess.Popen
    port: int
    access_key_id: str
    secret_access_key: str
    log_path: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str = "s3", endpoint: str | None = None, **overrides):
        import boto3
        from botocore.config import Config

        settings = dict(aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key)
        settings.update(overrides)
        return boto3.client(service, endpoint_url=endpoint or self.endpoint, region_name=REGION,
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
                            **settings)

    def new_bucket(self) -> str:
        name = "floe-" + uuid.uuid4().hex[:12]
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_moto(log_dir: Path) -> MotoS3:
    """Starts `moto_server` on a free port with SigV4 enforced and creates the IAM user whose key signs requests."""
    import boto3

    command = moto_server_command()
    if command is None:
        raise RuntimeError("moto_server not found: pip install 'moto[server]' into the venv")
    port = free_port()
    log_path = log_dir / "moto.log"
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
    process = subprocess.Popen(command + ["-H", "127.0.0.1", "-p", str(port)], env=env,
                               stdin=subprocess.DEVNULL, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not start:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.1)
    iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="floe")
    key = iam.create_access_key(UserName="floe")["AccessKey"]
    iam.put_user_policy(UserName="floe", PolicyName="allow-all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    return MotoS3(process, port, key["AccessKeyId"], key["SecretAccessKey"], log_path)


# --- fault-injecting proxy -------------------------------------------------------------------------------------

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
             b'<Message>Please reduce your request rate.</Message><RequestId>proxy</RequestId></Error>')
INTERNAL = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
            b'<Message>We encountered an internal error. Please try again.</Message><RequestId>proxy</RequestId></Error>')
DENIED = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
          b'<Message>Access Denied</Message><RequestId>proxy</RequestId></Error>')
EXPIRED = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredToken</Code>'
           b'<Message>The provided token has expired.</Message><RequestId>proxy</RequestId></Error>')

# What the proxy does with one request: forward it, answer an error itself, or close the connection without an
# answer, either before moto sees the request ("drop"), after STALL_SECONDS ("stall", for client timeouts) or
# after moto applied it ("forward-then-drop"); "delay" forwards after DELAY_SECONDS (latency), "partial" forwards
# and answers moto's status and full Content-Length but only the first half of the body, then closes. A request
# signed with a session token in `FaultProxy.expired_tokens` is answered 400 ExpiredToken ("expired"), as S3 does.
Action = str  # "forward" | "503" | "500" | "403" | "drop" | "stall" | "forward-then-drop" | "delay" | "partial" | "expired"
STALL_SECONDS = 3.0
DELAY_SECONDS = 0.4


@dataclass
class SeenRequest:
    seq: int
    method: str
    path: str
    action: Action


@dataclass
class FaultProxy:
    """An HTTP/1.1 reverse proxy to moto whose `plan(seq, method, path)` picks an ``Action`` per request.

    The client's Host header is passed through unchanged, so signatures made for the proxy's address stay valid.
    """

    upstream_port: int
    plan: Callable[[int, str, str], Action]
    seen: list[SeenRequest] = field(default_factory=list)
    expired_tokens: set[str] = field(default_factory=set)
    port: int = 0
    _server: socketserver.ThreadingTCPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def actions(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for request in self.seen:
            counts[request.action] = counts.get(request.action, 0) + 1
        return counts

    def start(self) -> "FaultProxy":
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - keep pytest output quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy._lock:
                    seq = len(proxy.seen)
                    expired = self.headers.get("X-Amz-Security-Token") in proxy.expired_tokens
                    action = "expired" if expired else proxy.plan(seq, self.command, self.path)
                    proxy.seen.append(SeenRequest(seq, self.command, self.path, action))
                if action in ("drop", "stall"):
                    if action == "stall":
                        time.sleep(STALL_SECONDS)
                    self.close_connection = True
                    return
                if action in ("503", "500", "403", "expired"):
                    payload = {"503": SLOW_DOWN, "500": INTERNAL, "403": DENIED, "expired": EXPIRED}[action]
                    self.send_response(400 if action == "expired" else int(action))
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                    return
                if action == "delay":
                    time.sleep(DELAY_SECONDS)
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    upstream.putheader(name, value)
                upstream.endheaders(body if body else None)
                response = upstream.getresponse()
                data = response.read()
                upstream.close()
                if action == "forward-then-drop":
                    self.close_connection = True
                    return
                self.send_response_only(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)) if self.command != "HEAD"
                                 else response.getheader("Content-Length", "0"))
                self.end_headers()
                if action == "partial" and self.command != "HEAD" and len(data) > 1:
                    self.wfile.write(data[:len(data) // 2])
                    self.close_connection = True
                elif self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass  # a client that gave up on a dropped connection is expected here

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# --- the Swift driver -------------------------------------------------------------------------------------------

def interop_binary() -> Path | None:
    """The S3FileIO driver: $FLOE_S3_INTEROP_BIN, else `.build/debug/floe-s3-interop` in the repository."""
    override = os.environ.get("FLOE_S3_INTEROP_BIN")
    candidate = Path(override) if override else REPO / ".build" / "debug" / "floe-s3-interop"
    return candidate if os.access(candidate, os.X_OK) else None


@dataclass
class DriverResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def error(self) -> dict:
        """The FileIOError the driver printed as its last stderr line (code, message, context, description)."""
        for line in reversed(self.stderr.strip().splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        raise AssertionError(f"no JSON error on stderr:\n{self.stderr}")


@dataclass
class S3Driver:
    """Runs one S3FileIO operation per call through the Swift driver, configured like the test says."""

    binary: Path
    endpoint: str
    access_key_id: str
    secret_access_key: str
    settings: dict[str, str] = field(default_factory=dict)

    def env(self, **overrides: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("FLOE_S3_TEST_")}
        env.update(FLOE_S3_TEST_ENDPOINT=self.endpoint, FLOE_S3_TEST_REGION=REGION,
                   FLOE_S3_TEST_ACCESS_KEY_ID=self.access_key_id,
                   FLOE_S3_TEST_SECRET_ACCESS_KEY=self.secret_access_key, FLOE_S3_TEST_RETRY_BASE_MS="20")
        env.update({f"FLOE_S3_TEST_{key}": value for key, value in self.settings.items()})
        env.update({f"FLOE_S3_TEST_{key}": value for key, value in overrides.items()})
        return env

    def run(self, *args: str, timeout: float = 180, **overrides: str) -> DriverResult:
        completed = subprocess.run([str(self.binary), *args], env=self.env(**overrides), stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=timeout)
        return DriverResult(completed.returncode, completed.stdout, completed.stderr)

    def ok(self, *args: str, **overrides: str) -> DriverResult:
        result = self.run(*args, **overrides)
        assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stderr[-8000:]}"
        return result

"""Fixtures of the interop suite: the Floe binary, servers on temp data dirs, readers.

Run from the repository root: `make interop` (or `.venv/bin/pytest -q Tests/Interop`).
Set FLOE_BIN to test a binary that is already built instead of running `make build`.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from floe_server import FloeFactory, FloeLauncher
from lake import duckdb_connect

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def floe_bin() -> Path:
    """The `floe` executable: $FLOE_BIN, or `.build/debug/floe` after one `make build` per session."""
    override = os.environ.get("FLOE_BIN")
    binary = Path(override) if override else REPO / ".build" / "debug" / "floe"
    if not override:
        build = subprocess.run(["make", "-C", str(REPO), "build"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if build.returncode != 0:
            pytest.fail(f"make build failed ({build.returncode}):\n{build.stdout[-20_000:]}", pytrace=False)
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no floe executable at {binary}", pytrace=False)
    return binary.resolve()


@pytest.fixture(scope="session")
def floe_launcher(floe_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> FloeLauncher:
    return FloeLauncher(floe_bin, tmp_path_factory.mktemp("floe"))


@pytest.fixture
def floe(floe_launcher: FloeLauncher, request: pytest.FixtureRequest):
    """Factory: `server = floe(env={...})` starts `floe serve` on a free port and a new data dir.

    `server.restart("kill")` brings it back on the same data dir; every server is stopped
    (SIGTERM, then SIGKILL) when the test ends, and its log is shown if the test failed.
    """
    factory = FloeFactory(floe_launcher, re.sub(r"\W+", "-", request.node.name)[:80])
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """An S3 server (moto) that enforces SigV4, one per test module; `moto.new_bucket()` gives each test its own."""
    from s3_support import start_moto
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def spark():
    """A local Spark session in UTC, one per test module (skipped where pyspark is not installed)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession
    session = (SparkSession.builder.master("local[1]").appName("floe-interop")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "1g").getOrCreate())
    yield session
    session.stop()


@pytest.fixture(scope="session")
def duck():
    """One DuckDB connection with the avro and iceberg extensions loaded."""
    con = duckdb_connect()
    yield con
    con.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attach the log of every Floe server a failing test used (any fixture value with `log_sections()`)."""
    report = yield
    if report.failed:
        titles = {title for title, _ in report.sections}
        for value in getattr(item, "funcargs", {}).values():
            log_sections = getattr(value, "log_sections", None)
            if not callable(log_sections):
                continue
            for title, text in log_sections():
                if title not in titles:
                    titles.add(title)
                    report.sections.append((title, text))
    return report

"""Floe's REST catalog client (RESTCatalog + TableAppender, through the `rest-interop` driver) against a real
Iceberg REST server over pyiceberg's SqlCatalog; pyiceberg and DuckDB read what was committed."""
from __future__ import annotations

import threading
import time

import pyarrow as pa
import pytest

from lake import duckdb_rows, pyiceberg_rows
from rest_catalog_server import RestCatalogServer
from rest_interop import TABLE, Driver, commit_ids, driver_binary, sorted_rows, write_plan


@pytest.fixture(scope="module")
def binary():
    return driver_binary()


@pytest.fixture
def server(tmp_path):
    servers = []

    def start(**options) -> RestCatalogServer:
        servers.append(RestCatalogServer(tmp_path / f"catalog{len(servers)}", **options).start())
        return servers[-1]

    yield start
    for each in servers:
        each.stop()


def created(driver: Driver) -> dict:
    return driver.run("create")[-1]


def check_exactly_once(rest: RestCatalogServer, plan_rows: list[dict], expected_ids: list[str], duck, extra=()):
    table = rest.catalog.load_table(TABLE)
    ids = commit_ids(table)
    assert sorted(ids) == sorted(expected_ids), "one snapshot per commit id"
    expected = sorted_rows(plan_rows) + sorted(extra)
    assert sorted(sorted_rows(pyiceberg_rows(table))) == sorted(expected)
    assert sorted(sorted_rows(duckdb_rows(duck, table))) == sorted(expected)


def test_create_and_twenty_appends(binary, server, tmp_path, duck):
    rest = server(vended_config={"s3.access-key-id": "AKIA-test", "s3.secret-access-key": "secret"})
    driver = Driver(binary, rest.uri)
    info = created(driver)
    assert [f["name"] for f in info["fields"]] == ["id", "category", "value"]
    assert info["spec"][0]["name"] == "category"
    assert info["config_keys"] == ["s3.access-key-id", "s3.secret-access-key"]
    assert info["namespaces"] == ["interop"] and info["tables"] == ["items"]
    plan, rows = write_plan(tmp_path, info["location"], commits=20)
    results = driver.run("append", str(plan))
    assert len(results) == 20 and all(r["attempts"] == 1 for r in results)
    check_exactly_once(rest, rows, [r["commit_id"] for r in results], duck)
    assert rest.commits_applied == 20


def test_bearer_token(binary, server):
    rest = server(token="r2-api-token")
    assert created(Driver(binary, rest.uri, FLOE_REST_TOKEN="r2-api-token"))["tables"] == ["items"]
    failure = Driver(binary, rest.uri, FLOE_REST_TOKEN="wrong").run("create", check=False)
    assert failure[-1]["error"] == "unauthorized"
    assert "wrong" not in str(failure)


def test_oauth_client_credentials_with_refresh(binary, server, tmp_path, duck):
    rest = server(oauth_clients={"floe": "s3cret"}, token_ttl=1)
    driver = Driver(binary, rest.uri, FLOE_REST_CLIENT_ID="floe", FLOE_REST_CLIENT_SECRET="s3cret")
    info = created(driver)
    plan, rows = write_plan(tmp_path, info["location"], commits=4)
    results = driver.run("append", str(plan))
    check_exactly_once(rest, rows, [r["commit_id"] for r in results], duck)
    assert len(rest.issued) >= 2, "short-lived tokens were renewed"
    assert Driver(binary, rest.uri, FLOE_REST_CLIENT_ID="floe",
                  FLOE_REST_CLIENT_SECRET="bad").run("create", check=False)[-1]["error"] == "unauthorized"


def test_conflicts_from_a_concurrent_writer(binary, server, tmp_path, duck):
    rest = server()
    driver = Driver(binary, rest.uri)
    info = created(driver)
    plan, rows = write_plan(tmp_path, info["location"], commits=20)
    rest.faults.commit_statuses = [409, 409, 409]
    writer = rest.catalog  # pyiceberg appends through the SqlCatalog underneath the server
    extra, stop = [], threading.Event()

    def python_appends():
        n = 0
        while not stop.is_set() and n < 15:
            batch = [{"id": 1_000_000 + n, "category": "beta", "value": "python"}]
            table = writer.load_table(TABLE)
            try:
                table.append(pa.Table.from_pylist(batch, schema=table.schema().as_arrow()))
                extra.append((batch[0]["id"], "beta", "python"))
            except Exception:  # noqa: BLE001 - the Swift side won that race
                pass
            n += 1
            time.sleep(0.05)

    thread = threading.Thread(target=python_appends)
    thread.start()
    results = driver.run("append", str(plan))
    stop.set()
    thread.join()
    assert any(r["attempts"] > 1 for r in results), "conflicts were retried"
    check_exactly_once(rest, rows, [r["commit_id"] for r in results], duck, extra=extra)


@pytest.mark.parametrize("idempotency", [False, True])
def test_503_after_apply_and_5xx_before(binary, server, tmp_path, duck, idempotency):
    rest = server(idempotency=idempotency)
    driver = Driver(binary, rest.uri)
    info = created(driver)
    plan, rows = write_plan(tmp_path, info["location"], commits=6)
    rest.faults.fail_after_apply = 3
    rest.faults.commit_statuses = [500, 503]
    results = driver.run("append", str(plan))
    check_exactly_once(rest, rows, [r["commit_id"] for r in results if "snapshot_id" in r], duck)
    commits = [e for e in rest.log if e["method"] == "POST" and e["path"].endswith("/tables/items")]
    if idempotency:
        keys = [e["key"] for e in commits]
        assert all(keys) and any(e.get("replayed") for e in commits), "a retry reused its key and was replayed"
        assert len(set(keys)) < len(keys)
    else:
        assert not any(e["key"] for e in commits)


def test_slow_commit_past_the_client_timeout(binary, server, tmp_path, duck):
    rest = server()
    driver = Driver(binary, rest.uri, FLOE_REST_TIMEOUT_MS="1500")
    info = created(driver)
    plan, rows = write_plan(tmp_path, info["location"], commits=3)
    rest.faults.slow_commits, rest.faults.slow_seconds = 1, 3.0
    results = driver.run("append", str(plan))
    check_exactly_once(rest, rows, [r["commit_id"] for r in results if "snapshot_id" in r], duck)


def test_server_down_then_up(binary, server, tmp_path, duck):
    rest = server()
    driver = Driver(binary, rest.uri)
    info = created(driver)
    plan, rows = write_plan(tmp_path, info["location"], commits=10)
    timer = threading.Timer(0.5, rest.go_down, args=(2.0,))
    timer.start()
    results = driver.run("append", str(plan))
    timer.join()
    check_exactly_once(rest, rows, [r["commit_id"] for r in results if "snapshot_id" in r], duck)


def test_transient_read_failures_are_retried(binary, server):
    rest = server()
    rest.faults.read_statuses = [503, 502]
    assert created(Driver(binary, rest.uri))["tables"] == ["items"]
    assert [e["status"] for e in rest.log[:3]] == [503, 502, 200]

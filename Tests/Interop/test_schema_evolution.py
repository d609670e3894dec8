"""A data directory written by the previous release keeps working, and its tables gain the `source_id`
column by Iceberg schema evolution on start (docs/design.md §2).

`fixtures/previous-release-data.tar.gz` is a data directory written by Floe at commit 94006fe (before
`source_id` existed): 30 Segment events and 20 CloudEvents committed, then 25 and 15 more acknowledged and
still in its buffer when that process was SIGKILLed. The embedded catalog records absolute paths, so it is
restored at the path it was written at, /tmp/floe-previous-release/data. The new binary must recover the
buffered events, evolve both tables (a new schema with a new field id; old files untouched), and write new
rows with `source_id`; pyiceberg, DuckDB and Spark (on the files) then read old and new rows together.
"""
from __future__ import annotations

import base64
import json
import shutil
import tarfile
import time
from pathlib import Path

import pytest

from api import segment_message, unique
from lake import data_files, duckdb_connect, duckdb_rows, load_table, pyiceberg_rows

FIXTURE = Path(__file__).parent / "fixtures" / "previous-release-data.tar.gz"
RESTORED = Path("/tmp/floe-previous-release")


@pytest.fixture
def previous_data_dir() -> Path:
    shutil.rmtree(RESTORED, ignore_errors=True)
    with tarfile.open(FIXTURE) as archive:
        archive.extractall("/tmp", filter="data")
    yield RESTORED / "data"
    shutil.rmtree(RESTORED, ignore_errors=True)


def test_tables_of_the_previous_release_gain_source_id_and_stay_readable(floe, previous_data_dir: Path, spark):
    old_events = load_table(previous_data_dir, "events")
    assert "source_id" not in old_events.schema().column_names and len(old_events.schemas()) == 1

    server = floe(data_dir=previous_data_dir)
    # On start, before any flush: the tables already have the column.
    deadline = time.monotonic() + 20
    while "source_id" not in load_table(previous_data_dir, "cloudevents").schema().column_names:
        assert time.monotonic() < deadline, "the tables were not evolved on start"
        time.sleep(0.2)
    assert "source_id" in load_table(previous_data_dir, "events").schema().column_names
    new = [segment_message("track") for _ in range(5)]
    response = server.post("/v1/batch", json.dumps({"batch": new}).encode(),
                           headers={"Authorization": "Basic " + base64.b64encode(b"app-one:").decode()})
    assert response.status_code == 200, response.text
    cloudevent = {"specversion": "1.0", "id": unique("new-ce"), "source": "/new", "type": "com.example.old"}
    response = server.post("/events", json.dumps(cloudevent).encode(),
                           headers={"Content-Type": "application/cloudevents+json", "X-API-Key": "app-two"})
    assert response.status_code == 200, response.text
    server.flush()
    assert "table schema evolved" in server.log_tail(200_000)

    events = load_table(previous_data_dir, "events")
    field = events.schema().find_field("source_id")
    assert field.field_id == 18 and not field.required and len(events.schemas()) == 2
    rows = pyiceberg_rows(events)
    ids = sorted(r["message_id"] for r in rows)
    assert ids == sorted([f"old-committed-{i}" for i in range(30)] + [f"old-buffered-{i}" for i in range(25)]
                         + [m["messageId"] for m in new]), "every old event once, the buffered ones recovered"
    by_id = {r["message_id"]: r for r in rows}
    assert all(by_id[f"old-committed-{i}"]["source_id"] is None for i in range(30))
    assert all(by_id[f"old-buffered-{i}"]["source_id"] is None for i in range(25))
    sources = {by_id[m["messageId"]]["source_id"] for m in new}
    assert len(sources) == 1 and next(iter(sources)).startswith("key-") and "app-one" not in next(iter(sources))

    duck = {r["message_id"]: r["source_id"] for r in duckdb_rows(duckdb_connect(), events)}
    assert duck == {r["message_id"]: r["source_id"] for r in rows}, "DuckDB reads what pyiceberg reads"

    cloudevents = load_table(previous_data_dir, "cloudevents")
    assert cloudevents.schema().find_field("source_id").field_id == 29
    ce_rows = pyiceberg_rows(cloudevents)
    assert len(ce_rows) == 20 + 15 + 1
    assert [r["source_id"] for r in ce_rows if r["id"] == cloudevent["id"]][0].startswith("key-")
    assert sum(r["source_id"] is None for r in ce_rows) == 35

    # Spark on the data files themselves: old files lack the column, new ones have it.
    paths = [f.path for f in data_files(events)]
    frame = spark.read.option("mergeSchema", "true").parquet(*paths)
    assert frame.count() == len(rows)
    assert frame.filter("source_id is not null").count() == len(new)


def test_a_rest_catalog_table_without_source_id_is_evolved_by_a_commit_it_accepts(floe, tmp_path, previous_data_dir):
    """The same evolution through a real REST catalog (pyiceberg's commit validation): the events table is
    created there with the previous release's schema, then Floe writes to it."""
    from rest_catalog_server import RestCatalogServer
    old = load_table(previous_data_dir, "events")
    rest = RestCatalogServer(tmp_path / "rest", token="t").start()
    try:
        rest.catalog.create_namespace("analytics")
        rest.catalog.create_table("analytics.events", schema=old.schema(), partition_spec=old.spec())
        assert rest.catalog.load_table("analytics.events").schema().find_field("received_at").field_id == 17
        server = floe(env={"R2_CATALOG_ENDPOINT": rest.uri, "R2_CATALOG_AUTH_TOKEN": "t",
                           "FLOE_CATALOG_WAREHOUSE": "interop"})
        sent = [segment_message("track") for _ in range(3)]
        response = server.post("/v1/batch", json.dumps({"batch": sent, "writeKey": "rest-app"}).encode())
        assert response.status_code == 200, response.text
        server.flush()
        table = rest.catalog.load_table("analytics.events")
        assert table.schema().find_field("source_id").field_id == 18 and len(table.schemas()) == 2
        rows = pyiceberg_rows(table)
        assert sorted(r["message_id"] for r in rows) == sorted(m["messageId"] for m in sent)
        assert {r["source_id"] for r in rows} == {rows[0]["source_id"]} and rows[0]["source_id"].startswith("key-")
    finally:
        rest.stop()

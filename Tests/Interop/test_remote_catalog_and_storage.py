"""The whole ingest → flush → commit path through the `floe` binary against remote peers.

- an Iceberg REST catalog (rest_catalog_server.py over pyiceberg's SqlCatalog, bearer token, with
  fault injection), configured with the seed's variables R2_CATALOG_ENDPOINT / R2_CATALOG_AUTH_TOKEN;
- S3 storage on moto with SigV4 enforced (`--warehouse s3://bucket/prefix` and AWS_* variables),
  read back with pyiceberg and DuckDB from S3; a wrong secret is reported clearly.
Every acknowledged event must be in the table exactly once, with the same values.
"""
from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from corpus import Window, generate
from lake import duckdb_connect_s3, duckdb_rows, normal_rows, pyiceberg_rows
from rest_catalog_server import RestCatalogServer
from s3_support import FaultProxy
from tables import CLOUDEVENTS, EVENTS, assert_rows_match

TOKEN = "r2-api-token"


@pytest.fixture
def rest_catalog(tmp_path):
    server = RestCatalogServer(tmp_path / "rest", token=TOKEN).start()
    yield server
    server.stop()


def rest_env(catalog: RestCatalogServer) -> dict[str, str]:
    return {"R2_CATALOG_ENDPOINT": catalog.uri, "R2_CATALOG_AUTH_TOKEN": TOKEN, "FLOE_CATALOG_WAREHOUSE": "interop"}


def test_twenty_flush_cycles_through_a_rest_catalog(floe, duck, rest_catalog):
    server = floe(env=rest_env(rest_catalog))
    events = generate(2000, seed=31)
    window = Window.open()
    for cycle in range(20):
        server.send_batches(events[cycle * 100:(cycle + 1) * 100], size=50)
        report = server.flush()
        assert report["rows"] == 100, report
    window.close()
    table = rest_catalog.catalog.load_table("analytics.events")
    assert len(table.metadata.snapshots) == 20
    summaries = [s.summary for s in table.metadata.snapshots]
    assert len({s.additional_properties.get("floe.commit-id") for s in summaries}) == 20
    assert_rows_match("pyiceberg", EVENTS, pyiceberg_rows(table), events, window)
    assert_rows_match("duckdb", EVENTS, duckdb_rows(duck, table), events, window)


@pytest.mark.parametrize("fault", ["conflicts", "applied-then-503", "down"])
def test_rest_catalog_faults_still_commit_exactly_once(floe, rest_catalog, fault):
    server = floe(env=rest_env(rest_catalog))
    events = generate(600, seed=32)
    window = Window.open()
    server.send_batches(events[:200], size=100)
    server.flush()  # creates the table
    if fault == "conflicts":
        rest_catalog.faults.commit_statuses = [409, 409, 409]
    elif fault == "applied-then-503":
        rest_catalog.faults.fail_after_apply = 1
    server.send_batches(events[200:400], size=100)
    if fault == "down":
        rest_catalog.go_down(3.0)
        response = server.post("/debug/flush")
        assert response.status_code in (200, 503), response.text
    else:
        server.flush()
    server.send_batches(events[400:], size=100)
    server.flush()
    window.close()
    table = rest_catalog.catalog.load_table("analytics.events")
    commit_ids = [s.summary.additional_properties.get("floe.commit-id") for s in table.metadata.snapshots]
    assert len(commit_ids) == len(set(commit_ids)), f"a commit was applied twice: {commit_ids}"
    assert_rows_match("pyiceberg", EVENTS, pyiceberg_rows(table), events, window)
    assert server.get("/debug/status").json()["buffered_count"] == 0


def s3_env(moto, secret: str | None = None) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": moto.access_key_id, "AWS_SECRET_ACCESS_KEY": secret or moto.secret_access_key,
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": moto.endpoint}


def test_embedded_catalog_with_an_s3_warehouse(floe, moto):
    bucket = moto.new_bucket()
    server = floe(env={**s3_env(moto), "FLOE_WAREHOUSE": f"s3://{bucket}/lake"})
    events = generate(1500, seed=33)
    window = Window.open()
    server.send_batches(events[:700], size=100)
    server.flush()
    server.send_batches(events[700:], size=100)
    server.flush()
    window.close()

    keys = [o["Key"] for o in moto.client().list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert any(k.startswith("lake/analytics/events/data/") and k.endswith(".parquet") for k in keys), keys
    assert any(k.startswith("lake/analytics/events/metadata/") and k.endswith(".metadata.json") for k in keys)

    from pyiceberg.catalog.sql import SqlCatalog
    catalog = SqlCatalog("floe", uri=f"sqlite:///{server.data_dir}/catalog.db", warehouse=f"s3://{bucket}/lake",
                         **{"s3.endpoint": moto.endpoint, "s3.access-key-id": moto.access_key_id,
                            "s3.secret-access-key": moto.secret_access_key, "s3.region": "us-east-1"})
    table = catalog.load_table("analytics.events")
    assert table.metadata.location == f"s3://{bucket}/lake/analytics/events"
    assert_rows_match("pyiceberg", EVENTS, pyiceberg_rows(table), events, window)
    con = duckdb_connect_s3(moto.endpoint, moto.access_key_id, moto.secret_access_key)
    rows = normal_rows(con.execute("SELECT * FROM iceberg_scan(?)", [table.metadata_location]).to_arrow_table())
    assert_rows_match("duckdb", EVENTS, rows, events, window)
    listing = server.get("/debug/list-r2?prefix=data/").json()
    assert listing["objects"] and all(o["key"].startswith("data/") for o in listing["objects"]), listing
    assert all(o["size"] and o["last_modified_ms"] for o in listing["objects"]), listing  # ListObjectsV2 Size/LastModified


def test_a_wrong_s3_secret_is_reported_and_nothing_is_lost(floe, moto):
    bucket = moto.new_bucket()
    server = floe(env={**s3_env(moto, secret="not-the-secret"), "FLOE_WAREHOUSE": f"s3://{bucket}/lake"})
    server.send_batches(generate(50, seed=34), size=50)
    response = server.post("/debug/flush")
    assert response.status_code == 503, response.text
    assert "SignatureDoesNotMatch" in response.text or "signature" in response.text.lower(), response.text
    floe_output = "\n".join(line for line in server.log_tail().splitlines() if not line.startswith("=== "))
    assert "not-the-secret" not in response.text and "not-the-secret" not in floe_output
    assert server.get("/debug/status").json()["buffered_count"] == 50


def test_vended_credentials_are_renewed_when_they_expire(floe, moto, tmp_path):
    """A REST catalog vends temporary S3 credentials (STS) with each table load. When S3 refuses them
    (400 ExpiredToken), Floe loads the table again and takes the fresh ones: the flush that met the expired
    token fails, the next one commits, and nothing is lost or stored twice. (Renewal ahead of
    `s3.session-token-expires-at-ms` is CredentialsRenewalTests'.)"""
    bucket = moto.new_bucket()
    iam = moto.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=f"writer-{bucket}", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=f"writer-{bucket}", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    arn = iam.get_role(RoleName=f"writer-{bucket}")["Role"]["Arn"]
    proxy = FaultProxy(moto.port, lambda seq, method, path: "forward").start()

    def vend() -> tuple[str, dict[str, str]]:
        credentials = moto.client("sts").assume_role(RoleArn=arn, RoleSessionName="floe")["Credentials"]
        config = {"s3.access-key-id": credentials["AccessKeyId"], "s3.secret-access-key": credentials["SecretAccessKey"],
                  "s3.session-token": credentials["SessionToken"], "s3.endpoint": proxy.endpoint,
                  "s3.region": "us-east-1", "s3.path-style-access": "true"}
        return credentials["SessionToken"], config

    first_token, first = vend()
    rest = RestCatalogServer(tmp_path / "rest", token=TOKEN, vended_config=first, warehouse=f"s3://{bucket}/wh",
                             catalog_properties={"s3.endpoint": moto.endpoint, "s3.access-key-id": moto.access_key_id,
                                                 "s3.secret-access-key": moto.secret_access_key,
                                                 "s3.region": "us-east-1"}).start()
    try:
        server = floe(env=rest_env(rest))
        events = generate(60, seed=61)
        server.send_batches(events[:20], size=20)
        assert server.post("/debug/flush").status_code == 200
        proxy.expired_tokens.add(first_token)
        _, rest.vended_config = vend()
        server.send_batches(events[20:40], size=20)
        refused = server.post("/debug/flush")
        assert refused.status_code == 503 and "ExpiredToken" in refused.text, refused.text
        renewed = server.post("/debug/flush")
        assert renewed.status_code == 200, renewed.text

        server.send_batches(events[40:], size=20)
        assert server.post("/debug/flush").status_code == 200
        table = rest.catalog.load_table("analytics.events")
        counts = Counter(row["message_id"] for row in pyiceberg_rows(table))
        assert set(counts) == {event["messageId"] for event in events} and max(counts.values()) == 1
    finally:
        rest.stop()
        proxy.stop()


def test_storage_settings_from_the_catalogs_config_are_used_under_its_overrides(floe, moto, tmp_path):
    """A catalog may hand every client its storage settings in `GET /v1/config` and vend only keys with each table
    load, as pyiceberg takes them: its `overrides` win over Floe's own settings, its `defaults` do not."""
    bucket = moto.new_bucket()
    s3 = {"s3.endpoint": moto.endpoint, "s3.access-key-id": moto.access_key_id,
          "s3.secret-access-key": moto.secret_access_key, "s3.region": "us-east-1"}
    keys = {"s3.access-key-id": moto.access_key_id, "s3.secret-access-key": moto.secret_access_key}
    rest = RestCatalogServer(tmp_path / "rest", token=TOKEN, vended_config=keys, warehouse=f"s3://{bucket}/wh",
                             catalog_properties=s3,
                             config_defaults={"s3.endpoint": "http://127.0.0.1:9", "s3.region": "eu-north-1"},
                             config_overrides={"s3.endpoint": moto.endpoint, "s3.region": "us-east-1",
                                               "s3.path-style-access": "true"}).start()
    try:
        server = floe(env=rest_env(rest))
        events = generate(40, seed=62)
        server.send_batches(events[:20], size=20)
        flushed = server.post("/debug/flush")
        assert flushed.status_code == 200, flushed.text

        # Defaults only: Floe's own endpoint (AWS_ENDPOINT_URL_S3) wins over the catalog's default.
        rest.config_overrides = {}
        server.restart(env={"AWS_ENDPOINT_URL_S3": moto.endpoint, "AWS_REGION": "us-east-1"})
        server.send_batches(events[20:], size=20)
        flushed = server.post("/debug/flush")
        assert flushed.status_code == 200, flushed.text
        table = rest.catalog.load_table("analytics.events")
        counts = Counter(row["message_id"] for row in pyiceberg_rows(table))
        assert set(counts) == {event["messageId"] for event in events} and max(counts.values()) == 1
    finally:
        rest.stop()


def test_cloudevents_through_a_rest_catalog_are_written_with_the_ids_it_assigned(floe, duck, rest_catalog):
    """A REST catalog assigns fresh field ids when it creates a table (pyiceberg and Java number the top-level
    columns first, then the map's), so `cloudevents` gets `source_id` 26 and `extensions` key and value 27 and 28
    where Floe's definition has 29, 27 and 28 shifted. Floe writes its files with the table's ids, taken by name:
    every reader, which resolves columns by id, reads `extensions` and `source_id` as sent."""
    import hashlib
    server = floe(env=rest_env(rest_catalog))
    sent = generate(40, seed=35, fmt="cloudevents")
    for event in sent[::2]:
        event["traceparent"] = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"  # an extension
    window = Window.open()
    response = server.post("/events/batch", json.dumps(sent).encode(), content_type="application/cloudevents-batch+json",
                           headers={"X-API-Key": "ce-key"})
    assert response.status_code == 200, response.text
    window.close()
    assert server.flush()["rows"] == 40
    table = rest_catalog.catalog.load_table("analytics.cloudevents")
    ids = {field.name: field.field_id for field in table.schema().fields}
    assert ids["source_id"] == 26, ids  # the catalog's, not the definition's 29
    assert_rows_match("pyiceberg", CLOUDEVENTS, pyiceberg_rows(table), sent, window)
    assert_rows_match("duckdb", CLOUDEVENTS, duckdb_rows(duck, table), sent, window)
    source = "key-" + hashlib.sha256(b"ce-key").hexdigest()[:12]
    assert {row["source_id"] for row in pyiceberg_rows(table)} == {source}

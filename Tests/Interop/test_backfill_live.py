"""`floe backfill` next to live traffic and from an S3 prefix.

- A backfill runs while `floe serve` ingests and flushes into the same tables (the embedded catalog
  shared by two processes): both sets of events land exactly once; commits interleave through the
  catalog's compare-and-swap.
- A backfill reads its input from `s3://bucket/prefix` on moto (SigV4 enforced), `.gz` and `.zst` objects and
  Segment's archive objects, and names a damaged object as given.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import threading
import time
from collections import Counter

import zstandard

from corpus import batch_bodies, dumps, generate
from lake import load_table, pyiceberg_rows


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_", "R2_", "AWS_"))}


def run_backfill(floe_bin, data_dir, *args, env=None):
    environment = clean_environment()
    environment.update(env or {})
    result = subprocess.run([str(floe_bin), "backfill", "--data-dir", str(data_dir), "--json", *map(str, args)],
                            capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_backfill_while_serving_the_same_tables(floe, floe_bin, tmp_path):
    server = floe(env={"ICEBERG_BUFFER_SIZE": "200", "ICEBERG_BUFFER_TIMEOUT_MS": "150"})
    live = generate(3000, seed=81)
    history = generate(40_000, seed=82, hours=48, start="2026-06-01T00:00:00Z")
    source = tmp_path / "history.ndjson"
    source.write_text("\n".join(json.dumps(e) for e in history) + "\n")

    def send_live():
        for _chunk, body in batch_bodies(live, 50):
            response = server.post("/v1/batch", body)
            assert response.status_code == 200, response.text
            time.sleep(0.01)

    sender = threading.Thread(target=send_live)
    sender.start()
    summary = run_backfill(floe_bin, server.data_dir, source, "--unit-events", "10000")
    sender.join(120)
    server.flush()
    assert summary["events"] == len(history) and summary["commits"] >= 4
    counts = Counter(row["message_id"] for row in pyiceberg_rows(load_table(server.data_dir, "events")))
    expected = {e["messageId"] for e in live} | {e["messageId"] for e in history}
    assert set(counts) == expected and max(counts.values()) == 1



def test_backfill_from_an_s3_prefix(floe_bin, moto, tmp_path):
    bucket = moto.new_bucket()
    s3 = moto.client()
    events = generate(6000, seed=83, hours=24)
    lines = [dumps(e) for e in events]
    s3.put_object(Bucket=bucket, Key="exports/day-1.ndjson.gz", Body=gzip.compress(b"\n".join(lines[:2000]) + b"\n"))
    s3.put_object(Bucket=bucket, Key="exports/day-2.ndjson.zst",
                  Body=zstandard.ZstdCompressor().compress(b"\n".join(lines[2000:4000]) + b"\n"))
    # Segment's S3 destination names its objects `{ms}.{uuid}.gz`, with no .json in the name.
    s3.put_object(Bucket=bucket, Key="exports/segment-logs/src1/1587427200000/1587495600000.3c7dbe6b-e9d9-4b25-8ccd-9b7aa6c51b8a.gz",
                  Body=gzip.compress(b"\n".join(lines[4000:]) + b"\n"))
    s3.put_object(Bucket=bucket, Key="exports/README.txt", Body=b"not an input")
    s3.put_object(Bucket=bucket, Key="exports/backup.tar.gz", Body=gzip.compress(b"not an input"))
    env = {"AWS_ACCESS_KEY_ID": moto.access_key_id, "AWS_SECRET_ACCESS_KEY": moto.secret_access_key,
           "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": moto.endpoint}
    summary = run_backfill(floe_bin, tmp_path / "data", f"s3://{bucket}/exports/", env=env)
    assert summary["input_files"] == 3 and summary["events"] == 6000, summary
    again = run_backfill(floe_bin, tmp_path / "data", f"s3://{bucket}/exports/", env=env)
    assert again["skipped_files"] == 3 and again["events"] == 0, again
    counts = Counter(row["message_id"] for row in pyiceberg_rows(load_table(tmp_path / "data", "events")))
    assert set(counts) == {e["messageId"] for e in events} and max(counts.values()) == 1

    # A damaged object is named in the error as the user named it, not by its downloaded copy.
    s3.put_object(Bucket=bucket, Key="broken/cut.ndjson.gz", Body=gzip.compress(b"\n".join(lines[:100]) + b"\n")[:-20])
    failed = subprocess.run([str(floe_bin), "backfill", "--data-dir", str(tmp_path / "data"), f"s3://{bucket}/broken/"],
                            env={**clean_environment(), **env}, capture_output=True, text=True, timeout=300)
    assert failed.returncode != 0, failed.stderr[-2000:]
    assert f"s3://{bucket}/broken/cut.ndjson.gz is not valid gzip" in failed.stderr, failed.stderr[-2000:]

"""Metadata maintenance: manifest merging, the metadata log limit, snapshot expiry and orphan files.

500 small commits through the `floe` binary leave a table whose scan planning reads at most 10
manifests (FLOE_MANIFEST_MERGE_MIN_COUNT=10) and whose metadata directory keeps at most the
configured number of old metadata files; then `floe maintain` expires old snapshots and removes an
orphan file, and every event is still there exactly once.
"""
from __future__ import annotations

import json
import subprocess
import uuid
from collections import Counter
from pathlib import Path

from corpus import dumps
from lake import load_table, local_path, pyiceberg_rows

COMMITS = 500


def test_five_hundred_commits_stay_cheap_to_plan_and_maintain(floe, floe_bin):
    server = floe(env={"FLOE_MANIFEST_MERGE_MIN_COUNT": "10", "FLOE_METADATA_PREVIOUS_VERSIONS_MAX": "20"})
    sent = []
    for index in range(COMMITS):
        message = {"userId": f"user-{index}", "event": "Maintained", "messageId": str(uuid.uuid4())}
        response = server.post("/v1/track", dumps(message))
        assert response.status_code == 200, response.text
        report = server.flush()
        assert report["rows"] == 1, report
        sent.append(message["messageId"])

    table = load_table(server.data_dir, "events")
    assert len(table.metadata.snapshots) == COMMITS
    manifests = table.current_snapshot().manifests(table.io)
    assert len(manifests) <= 10, f"{len(manifests)} manifests to plan a scan"
    metadata_dir = Path(local_path(table.metadata.location)) / "metadata"
    versions = sorted(metadata_dir.glob("*.metadata.json"))
    assert len(versions) <= 21, f"{len(versions)} metadata files kept"
    assert len(table.metadata.metadata_log) <= 20
    counts = Counter(row["message_id"] for row in pyiceberg_rows(table))
    assert set(counts) == set(sent) and max(counts.values()) == 1
    server.stop()

    orphan = Path(local_path(table.metadata.location)) / "data" / "abandoned-attempt.parquet"
    orphan.write_bytes(b"PAR1 not really")
    result = subprocess.run([str(floe_bin), "maintain", "--data-dir", str(server.data_dir),
                             "--expire-older-than-hours", "0", "--retain-last", "5", "--orphans-older-than-hours", "0"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = {entry["table"]: entry for entry in json.loads(result.stdout.strip().splitlines()[-1])}
    assert summary["events"]["expired_snapshots"] == COMMITS - 5, summary
    assert summary["events"]["orphan_files"] >= 1 and not orphan.exists()

    table = load_table(server.data_dir, "events")
    assert len(table.metadata.snapshots) == 5
    counts = Counter(row["message_id"] for row in pyiceberg_rows(table))
    assert set(counts) == set(sent) and max(counts.values()) == 1

"""`floe maintain --remove-duplicates`: events stored twice (a retry that reached another instance, or
arrived after the dedup window) are deleted with Iceberg position deletes, so that pyiceberg and DuckDB
read each event once; a second run finds nothing, and flushes keep appending on top.

Duplicates are made the way a retry that reaches another instance makes them: the instance is restarted
with an empty buffer (no dedup state) and receives the same messages (and CloudEvents with the same source
and id) again.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections import Counter

from api import segment_message
from lake import duckdb_rows, load_table, pyiceberg_rows


def maintain(floe_bin, data_dir, *extra, env: dict[str, str] | None = None) -> dict:
    result = subprocess.run([str(floe_bin), "maintain", "--data-dir", str(data_dir), *extra],
                            capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr[-3000:]
    return {entry["table"]: entry for entry in json.loads(result.stdout.strip().splitlines()[-1])}


def cloud_event(event_id: str) -> dict:
    return {"specversion": "1.0", "id": event_id, "source": "/interop/dedupe", "type": "com.example.dedupe",
            "time": "2026-11-20T10:15:30Z", "datacontenttype": "application/json", "data": {"n": 1}}


def forget_dedup_state(server) -> None:
    """Restarts the instance with an empty buffer (everything is committed), as a new instance behind the
    same load balancer would be: it has never seen the messages a retry brings."""
    server.stop()
    for path in server.data_dir.glob("buffer.db*"):
        path.unlink()
    server.start()


def counts(rows, *key) -> Counter:
    return Counter(tuple(row[k] for k in key) for row in rows)


def test_duplicates_are_deleted_once_and_readers_agree(floe, floe_bin, duck):
    server = floe()
    tracks = [segment_message("track") for _ in range(120)]
    pages = [segment_message("page") for _ in range(40)]
    events = [cloud_event(f"ce-{uuid.uuid4()}") for _ in range(30)]
    server.send_batches(tracks + pages, 50)
    server.send_cloudevents(events)
    server.flush()
    forget_dedup_state(server)
    server.send_batches(tracks[:35] + pages[:5], 20)
    server.send_cloudevents(events[:7])
    server.flush()
    forget_dedup_state(server)
    server.send_batches(tracks[:10], 10)  # a third copy of some
    server.flush()

    table = load_table(server.data_dir, "events")
    assert len(pyiceberg_rows(table)) == 160 + 40 + 10
    summary = maintain(floe_bin, server.data_dir, "--remove-duplicates")
    assert summary["events"]["duplicates_removed"] == 50, summary
    assert summary["cloudevents"]["duplicates_removed"] == 7, summary

    for name, key, sent in (("events", ("message_id",), [m["messageId"] for m in tracks + pages]),
                            ("cloudevents", ("source", "id"), [e["id"] for e in events])):
        table = load_table(server.data_dir, name)
        assert table.current_snapshot().summary.operation.value == "delete"
        for rows in (pyiceberg_rows(table), duckdb_rows(duck, table)):
            found = counts(rows, *key)
            assert len(found) == len(sent) and max(found.values()) == 1, f"{name}: {found.most_common(3)}"

    # A second run finds nothing; new events append on top of the deletes and are read once too.
    summary = maintain(floe_bin, server.data_dir, "--remove-duplicates")
    assert summary["events"]["duplicates_removed"] == 0 and summary["cloudevents"]["duplicates_removed"] == 0, summary
    later = [segment_message("track") for _ in range(25)]
    server.send_batches(later, 25)
    server.flush()
    table = load_table(server.data_dir, "events")
    for rows in (pyiceberg_rows(table), duckdb_rows(duck, table)):
        found = counts(rows, "message_id")
        assert len(found) == 160 + 25 and max(found.values()) == 1

    # Expiring every older snapshot and removing orphans keeps the delete files the table references.
    server.stop()
    summary = maintain(floe_bin, server.data_dir, "--expire-older-than-hours", "0", "--retain-last", "1",
                       "--orphans-older-than-hours", "0")
    assert summary["events"]["expired_snapshots"] > 0, summary
    table = load_table(server.data_dir, "events")
    assert int(table.current_snapshot().summary["total-position-deletes"]) == 50
    for rows in (pyiceberg_rows(table), duckdb_rows(duck, table)):
        found = counts(rows, "message_id")
        assert len(found) == 160 + 25 and max(found.values()) == 1

    # Compaction applies the deletes: the rewritten files hold each event once, and the delete files go with them.
    summary = maintain(floe_bin, server.data_dir, "--compact", env={"FLOE_PARTITION_GRACE_MS": "0"})
    compaction = summary["events"]["compaction"]
    assert compaction["rows"] == 160 + 25 and compaction["delete_files_removed"] >= 1, summary
    assert summary["cloudevents"]["compaction"]["rows"] == 30, summary
    for name, key, expected in (("events", ("message_id",), 160 + 25), ("cloudevents", ("source", "id"), 30)):
        table = load_table(server.data_dir, name)
        assert table.current_snapshot().summary.operation.value == "replace"
        assert table.current_snapshot().summary["total-position-deletes"] == "0"
        assert table.current_snapshot().summary["total-delete-files"] == "0"
        assert not [f for f in table.inspect.files().to_pylist() if f["content"] != 0]
        for rows in (pyiceberg_rows(table), duckdb_rows(duck, table)):
            found = counts(rows, *key)
            assert len(found) == expected and max(found.values()) == 1, f"{name}: {found.most_common(3)}"


def test_one_small_file_beside_deletes_of_another_file_is_not_rewritten_again_and_again(floe, floe_bin):
    """A closed partition holds one small file S and a large file L whose duplicate rows a delete file names.
    Rewriting S alone would change nothing (the deletes are L's), and every run would find one small file and a
    delete file again: a `replace` snapshot a minute for nothing, and rewrites refused behind them."""
    server = floe(env={"FLOE_COMPACT": "0"})
    early = [segment_message("track") for _ in range(10)]
    server.send_batches(early, 10)
    server.flush()  # S: 10 rows
    forget_dedup_state(server)
    server.send_batches(early + [segment_message("track") for _ in range(400)], 100)
    server.flush()  # L: the 10 again (later copies) and 400 more
    server.stop()
    assert maintain(floe_bin, server.data_dir, "--remove-duplicates")["events"]["duplicates_removed"] == 10
    files = load_table(server.data_dir, "events").inspect.files().to_pylist()
    small, large = sorted(f["file_size_in_bytes"] for f in files if f["content"] == 0)
    # A target of L's size: L is not small (under ¾ of it), S is.
    target = str(large)
    assert small < large * 3 // 4, (small, large)
    for _ in range(2):
        summary = maintain(floe_bin, server.data_dir, "--compact", env={"FLOE_PARTITION_GRACE_MS": "0",
                                                                        "FLOE_TARGET_FILE_SIZE_BYTES": target})
        compaction = summary["events"]["compaction"]
        assert compaction["files_removed"] == 0 and compaction["files_added"] == 0, summary
    table = load_table(server.data_dir, "events")
    assert table.current_snapshot().summary.operation.value == "delete"
    assert len({r["message_id"] for r in pyiceberg_rows(table)}) == len(pyiceberg_rows(table)) == 410

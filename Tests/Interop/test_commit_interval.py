"""Under a sustained load a table gets about one commit a second (`buffer.commit_interval_ms`, default 1,000),
each holding everything due, in data files of at most `buffer.size` rows as before; every event is committed
once. With the interval at 0 the same load commits cycle after cycle. docs/design.md §5."""
from __future__ import annotations

import time

from api import assert_accepted, dumps, segment_message
from chaos import wait_until
from lake import load_table
from tables import EVENTS

BUFFER_SIZE = 20
REQUESTS = 60


def steady_load(server) -> tuple[set[str], float]:
    """A batch of BUFFER_SIZE events every 50 ms (each makes the partition due); the ids sent and the seconds taken."""
    sent: set[str] = set()
    started = time.monotonic()
    for request in range(REQUESTS):
        batch = [segment_message("track", timestamp=f"2026-11-25T06:{i % 60:02d}:00Z") for i in range(BUFFER_SIZE)]
        assert_accepted(server.post("/v1/batch", dumps({"batch": batch})), count=BUFFER_SIZE)
        sent.update(message["messageId"] for message in batch)
        time.sleep(max(0.0, started + (request + 1) * 0.05 - time.monotonic()))
    return sent, time.monotonic() - started


def wait_until_flushed(server) -> None:
    wait_until(lambda: server.get("/debug/status").json()["buffered_count"] == 0, 20, "the scheduled flushes to empty the buffer")


def committed(server, sent: set[str]) -> tuple[int, list[int]]:
    """Snapshots of the events table and the row count of each data file, after checking every event is there once."""
    table = load_table(server.data_dir, EVENTS.name)
    ids = table.scan(selected_fields=("message_id",)).to_arrow().column("message_id").to_pylist()
    assert len(ids) == len(sent) and set(ids) == sent, "an acknowledged event is missing or stored twice"
    return len(table.snapshots()), [task.file.record_count for task in table.scan().plan_files()]


def test_a_sustained_load_gets_about_one_commit_a_second_in_files_of_buffer_size_rows(floe):
    server = floe(env={"ICEBERG_BUFFER_SIZE": str(BUFFER_SIZE)})
    sent, seconds = steady_load(server)
    wait_until_flushed(server)
    snapshots, file_rows = committed(server, sent)
    # One cycle at the start, then at most one a second (plus the one that takes the rest).
    assert 2 <= snapshots <= seconds + 2, (snapshots, seconds)
    assert max(file_rows) <= BUFFER_SIZE and sum(file_rows) == len(sent), file_rows
    assert len(file_rows) >= len(sent) // BUFFER_SIZE


def test_an_interval_of_0_commits_cycle_after_cycle(floe):
    server = floe(env={"ICEBERG_BUFFER_SIZE": str(BUFFER_SIZE), "FLOE_COMMIT_INTERVAL_MS": "0"})
    sent, seconds = steady_load(server)
    wait_until_flushed(server)
    snapshots, file_rows = committed(server, sent)
    assert snapshots > 2 * (seconds + 2), (snapshots, seconds)
    assert max(file_rows) <= BUFFER_SIZE

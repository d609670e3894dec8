"""Acknowledged events survive a stop: Floe answers 200 only after the buffer committed (docs/design.md §4, §5)."""
from __future__ import annotations

import pytest

from corpus import Window, generate
from lake import duckdb_rows, load_table, pyiceberg_rows
from tables import CLOUDEVENTS, EVENTS, assert_rows_match


@pytest.mark.parametrize("how", ["kill", "term"], ids=["SIGKILL", "SIGTERM"])
def test_acknowledged_events_survive_a_restart_exactly_once(floe, duck, how: str):
    server = floe()
    events = generate(2400, seed=21)
    cloudevents = generate(300, seed=22, fmt="cloudevents")
    window = Window.open()
    # Half of them reach the tables before the stop, half are only in the buffer.
    server.send_batches(events[:1200], size=100)
    server.send_cloudevents(cloudevents[:150])
    server.flush()
    server.send_batches(events[1200:], size=100)
    server.send_cloudevents(cloudevents[150:])
    window.close()

    if how == "kill":
        server.kill()
    else:
        assert server.stop() == 0, "floe did not exit cleanly on SIGTERM"
    server.start()
    server.flush()

    for shape, sent in ((EVENTS, events), (CLOUDEVENTS, cloudevents)):
        table = load_table(server.data_dir, shape.name)
        assert_rows_match("pyiceberg", shape, pyiceberg_rows(table), sent, window)
        assert_rows_match("duckdb", shape, duckdb_rows(duck, table), sent, window)

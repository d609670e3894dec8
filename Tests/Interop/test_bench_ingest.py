"""`floe bench ingest` end to end: its own load generator against a real `floe serve`.

The generator writes raw HTTP/1.1 and reads answers by `Content-Length` (Sources/FloeBench/LoadConnection.swift);
these runs check that what it reports (requests, acknowledged events, refusals, committed rows, settings) matches
what the server did.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "corpus.ndjson"
    with path.open("w") as out:
        subprocess.run([sys.executable, str(ROOT / "Benchmarks" / "gen_events.py"), "--count", "2000", "--seed", "3"],
                       stdout=out, check=True)
    return path


def bench(floe_bin: Path, corpus: Path, *args: str) -> dict:
    done = subprocess.run([str(floe_bin), "bench", "ingest", "--input", str(corpus), *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("timer", [None, "1000"])
def test_paced_track_run_is_counted_committed_and_sustained(floe_bin, corpus, tmp_path, timer):
    timeline, cpu_timeline = tmp_path / "timeline.tsv", tmp_path / "cpu.tsv"
    result = bench(floe_bin, corpus, "--batch", "0", "--connections", "4", "--seconds", "3", "--rate", "200",
                   "--timeline", str(timeline), "--cpu-timeline", str(cpu_timeline), "--cpu-interval", "1",
                   *(["--timer-us", timer] if timer else []))
    assert result["mode"] == "track" and result["kind"] == "end_to_end"
    # Each send wakes at its own time unless a grid is asked for (1000: wrk2's millisecond timers).
    assert result["pacing_timer_us"] == (int(timer) if timer else 0), result
    # Paced at 200 requests/s for 3 s: about 600 requests, each one event.
    assert 540 <= result["requests"] <= 610, result
    assert result["events"] == result["requests"] and result["failed"] == 0
    assert result["committed"] == result["events"] and result["sustained"] is True
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    # CPU while the load ran, from /proc: the server and the generator both worked, the machine was partly busy.
    assert result["server_cpu_cores"] > 0 and result["generator_cpu_cores"] > 0, result
    assert 0 < result["server_cpu_us_per_request"] < 1_000_000, result
    assert 0 < result["machine_busy"] <= 1 and 0 <= result["machine_steal"] < 1, result
    rows = [line.split("\t") for line in timeline.read_text().splitlines()[2:]]
    assert len(rows) == result["requests"] and {row[2] for row in rows} == {"200"}
    # Per second of the run: the requests sent in it, their latency, and who used the CPU.
    lines = cpu_timeline.read_text().splitlines()
    assert lines[0].startswith("# started_at_unix_ms ") and lines[1].split("\t")[:4] == \
        ["from_s", "to_s", "requests_per_s", "server_us_per_request"], lines[:2]
    windows = [dict(zip(lines[1].split("\t"), line.split("\t"))) for line in lines[2:]]
    assert 3 <= len(windows) <= 4, lines
    assert [w["from_s"] for w in windows[1:]] == [w["to_s"] for w in windows[:-1]], lines
    sent = sum(float(w["requests_per_s"]) * (float(w["to_s"]) - float(w["from_s"])) for w in windows)
    assert abs(sent - result["requests"]) <= 0.05 * result["requests"], (sent, lines)
    assert all(float(w["server_cores"]) > 0 and 0 < float(w["machine_busy_pct"]) <= 100 for w in windows), lines
    assert all(float(w["p50_ms"]) <= float(w["p99_ms"]) <= float(w["max_ms"]) for w in windows), lines
    assert any("NIO-ELT" in w["server_cores_by_thread"] for w in windows), lines


def test_a_paced_run_the_server_cannot_keep_up_with_ends_on_time_and_counts_what_it_did_not_send(floe_bin, corpus):
    # 20,000 requests/s over 2 connections, one request in flight each: far more than they can carry.
    result = bench(floe_bin, corpus, "--batch", "0", "--connections", "2", "--seconds", "2", "--rate", "20000")
    # It stops at its end instead of sending late what it still had scheduled (a closed loop for as long as it is behind).
    assert result["seconds"] < 3.5, result
    assert result["unsent"] > 0 and result["sustained"] is False, result
    # Every scheduled request is either sent or counted as unsent (each connection rounds up its last one).
    assert 40_000 <= result["requests"] + result["unsent"] <= 40_002, result
    assert result["failed"] == 0 and result["committed"] == result["events"] == result["requests"], result


def test_batch_quota_sends_exactly_the_events_asked_for(floe_bin, corpus):
    result = bench(floe_bin, corpus, "--batch", "50", "--connections", "3", "--events", "1500")
    # 1,500 events in requests of 50, split over 3 connections: 10 requests each.
    assert result["requests"] == 30 and result["events"] == 1500
    assert result["committed"] == 1500 and result["failed"] == 0


def test_refused_requests_are_counted_as_failures_and_settings_are_listed(floe_bin, corpus):
    # A buffer budget of 10 bytes: every batch is refused (503) and nothing is committed.
    result = bench(floe_bin, corpus, "--batch", "10", "--connections", "2", "--events", "100",
                   "--set", "FLOE_MAX_BUFFER_BYTES=10", "--set", "FLOE_GROUP_COMMIT_US=0")
    assert result["settings"] == {"FLOE_GROUP_COMMIT_US": "0", "FLOE_MAX_BUFFER_BYTES": "10"}
    assert result["requests"] == 10 and result["failed"] == 10
    assert result["events"] == 0 and result["committed"] == 0 and result["sustained"] is False


def test_health_run_counts_requests_only(floe_bin, corpus):
    result = bench(floe_bin, corpus, "--health", "--connections", "8", "--seconds", "1")
    assert result["mode"] == "health" and result["kind"] == "http"
    assert result["requests"] > 100 and result["failed"] == 0 and result["events"] == 0


def test_a_bad_set_argument_is_refused(floe_bin, corpus):
    done = subprocess.run([str(floe_bin), "bench", "ingest", "--input", str(corpus), "--set", "NOEQUALS"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "NAME=VALUE" in done.stderr


def test_a_negative_timer_grid_is_refused(floe_bin, corpus):
    done = subprocess.run([str(floe_bin), "bench", "ingest", "--input", str(corpus), "--rate", "10", "--timer-us=-5"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "--timer-us takes 0 or more" in done.stderr, done.stderr

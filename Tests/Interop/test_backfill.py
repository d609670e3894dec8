"""`floe backfill`: historical events from .ndjson, .gz and .zst files land once, in their own hours.

200,000 generated events over 72 hours, in Segment (messages and /v1/batch bodies) and CloudEvents
(objects and batch arrays) files; the backfill is SIGKILLed twice mid-way and re-run, then run once
more over complete input, and the tables hold every event exactly once, partitioned by the hour of
the recorded time. A file with bad lines produces the rejects file and the right counts.
"""
from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import uuid
import time
from collections import Counter
from pathlib import Path

import pytest
import zstandard
from pyiceberg.exceptions import NoSuchTableError

from corpus import dumps, generate, micros
from lake import data_files, duckdb_rows, load_table, pyiceberg_rows
from tables import hours

EVENTS_TOTAL = 200_000


def write_lines(path: Path, lines: list[bytes]) -> Path:
    data = b"\n".join(lines) + b"\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    elif path.suffix == ".zst":
        path.write_bytes(zstandard.ZstdCompressor().compress(data))
    else:
        path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The same events written as four files of different shapes and compressions."""
    root = tmp_path_factory.mktemp("backfill-input")
    segment = generate(150_000, seed=61, hours=72)
    cloud = generate(50_000, seed=62, fmt="cloudevents", hours=72)
    files = [
        write_lines(root / "segment-a.ndjson", [dumps(e) for e in segment[:60_000]]),
        write_lines(root / "segment-b.ndjson.gz", [dumps(e) for e in segment[60_000:100_000]]),
        write_lines(root / "segment-batches.ndjson.zst",
                    [dumps({"batch": segment[i:i + 100]}) for i in range(100_000, 150_000, 100)]),
        write_lines(root / "cloudevents.jsonl.zst",
                    [dumps(cloud[i:i + 50]) for i in range(0, 50_000, 50)]),
    ]
    return {"files": files, "segment": segment, "cloud": cloud}


def backfill(floe_bin: Path, data_dir: Path, paths: list[Path], *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_", "R2_", "AWS_"))}
    return subprocess.Popen([str(floe_bin), "backfill", "--data-dir", str(data_dir), "--json", *extra, *map(str, paths)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, f"backfill failed ({process.returncode}):\n{err.decode()[-5000:]}"
    return json.loads(out.decode().strip().splitlines()[-1])


def check_tables(data_dir: Path, duck, segment: list[dict], cloud: list[dict]) -> None:
    events = load_table(data_dir, "events")
    for reader, rows in (("pyiceberg", pyiceberg_rows(events)), ("duckdb", duckdb_rows(duck, events))):
        counts = Counter(r["message_id"] for r in rows)
        assert len(rows) == len(segment), f"{reader}: {len(rows)} rows for {len(segment)} events"
        assert set(counts) == {e["messageId"] for e in segment} and max(counts.values()) == 1, reader
    rows = {r["message_id"]: r for r in pyiceberg_rows(events)}
    for sent in segment[::997]:
        row = rows[sent["messageId"]]
        # Historical: the recorded timestamp is kept (no skew correction against today's clock).
        assert row["timestamp"] == micros(sent["timestamp"]) and row["original_timestamp"] == micros(sent["timestamp"])
        assert row["type"] == sent["type"] and row.get("user_id") == sent.get("userId")
        assert json.loads(row["context"]) == sent["context"]
    cloudevents = load_table(data_dir, "cloudevents")
    got = Counter(r["id"] for r in pyiceberg_rows(cloudevents))
    assert sum(got.values()) == len(cloud) and set(got) == {e["id"] for e in cloud}
    # Each data file holds one hour of one type: the partition of its rows' recorded time.
    files = events.inspect.files().to_pylist()
    assert len({f["partition"]["timestamp_hour"] for f in files}) >= 72
    for f in files[:40]:
        import pyarrow.parquet as pq
        table = pq.read_table(f["file_path"].removeprefix("file://"), columns=["type", "timestamp"])
        assert set(table["type"].to_pylist()) == {f["partition"]["type"]}
        stamps = [t.timestamp() * 1_000_000 for t in table["timestamp"].to_pylist()]
        assert {hours(int(round(s))) for s in stamps} == {f["partition"]["timestamp_hour"]}


def committed_rows(data_dir: Path) -> int:
    """Rows in the events and cloudevents tables (0 for a table not created yet)."""
    total = 0
    for name in ("events", "cloudevents"):
        try:
            table = load_table(data_dir, name)
        except NoSuchTableError:
            continue
        total += sum(f.record_count for f in data_files(table))
    return total


def test_backfill_killed_midway_then_rerun_lands_every_event_once(floe_bin, duck, inputs, tmp_path):
    data_dir = tmp_path / "data"
    files = inputs["files"]
    for delay in (4.0, 3.0):
        process = backfill(floe_bin, data_dir, files, "--unit-events", "30000")
        time.sleep(delay)
        still_running = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert still_running, "the backfill finished before it could be killed; the test needs a slower kill"
    before = committed_rows(data_dir)
    summary = finish(backfill(floe_bin, data_dir, files, "--unit-events", "30000"))
    assert summary["rejected"] == 0
    # The summary counts every event this run committed, those of a unit the killed run left pending too (it
    # also counts those of a pending unit's tables that had committed before the kill).
    added = committed_rows(data_dir) - before
    assert summary["events"] >= added, (summary, added)
    check_tables(data_dir, duck, inputs["segment"], inputs["cloud"])

    snapshots = len(load_table(data_dir, "events").metadata.snapshots)
    again = finish(backfill(floe_bin, data_dir, files))
    assert again["events"] == 0 and again["skipped_files"] == len(files) and again["commits"] == 0, again
    assert len(load_table(data_dir, "events").metadata.snapshots) == snapshots


def leave_pending_unit(data_dir: Path, path: str, lines: int, files: list[dict] | None = None) -> None:
    """Records a unit as a backfill killed before its commit leaves it: lines 0..lines of `path`, nothing committed."""
    unit = {"commitIds": {"events": str(uuid.uuid4())}, "receivedAt": 1_700_000_000_000_000,
            "ranges": [{"path": path, "fromLine": 0, "toLine": lines, "endsFile": True}]}
    if files is not None:
        unit["files"] = files
    with sqlite3.connect(data_dir / "backfill.db") as db:
        db.execute("INSERT INTO backfill_units(body) VALUES (?)", (json.dumps(unit),))


def test_a_pending_unit_is_given_up_when_its_input_changed_and_the_input_is_read_as_it_is(floe_bin, tmp_path):
    """A unit a killed run left pending is redone from the same lines; when they are not the same any more (the file
    was replaced, or the input is a pipe, which gives other bytes each time) a redo would commit other rows under the
    unit's commit and then read them again: the new file's events were stored twice, and from a pipe the lines after
    the unit were lost (the redo took them from the pipe) and the rest numbered wrong. Nothing of such a unit was
    committed, so it is given up and the inputs are read as they are."""
    events = generate(300, seed=80)
    data_dir = tmp_path / "data"
    first = write_lines(tmp_path / "first.ndjson", [dumps(e) for e in events[:10]])
    assert finish(backfill(floe_bin, data_dir, [first]))["events"] == 10  # backfill.db, claimed
    replaced = write_lines(tmp_path / "export.ndjson", [dumps(e) for e in events[10:110]])
    stat = replaced.stat()
    leave_pending_unit(data_dir, str(replaced), 100, files=[{
        "path": str(replaced), "size": stat.st_size + 70, "modified": int(stat.st_mtime * 1e6) - 60_000_000,
        "committedLines": 0, "complete": False, "fingerprint": "the bytes the killed run read"}])
    summary = finish(backfill(floe_bin, data_dir, [replaced]))
    assert (summary["events"], summary["commits"]) == (100, 1), summary

    leave_pending_unit(data_dir, "/dev/stdin", 50)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_", "R2_", "AWS_"))}
    piped = subprocess.run([str(floe_bin), "backfill", "--data-dir", str(data_dir), "--json", "/dev/stdin"],
                           input=b"\n".join(dumps(e) for e in events[110:]) + b"\n", capture_output=True, env=env,
                           timeout=300)
    assert piped.returncode == 0, piped.stderr.decode()[-3000:]
    summary = json.loads(piped.stdout.decode().strip().splitlines()[-1])
    assert (summary["events"], summary["rejected"]) == (190, 0), summary
    assert b"gave up the backfill unit" in piped.stderr
    got = Counter(r["message_id"] for r in pyiceberg_rows(load_table(data_dir, "events")))
    assert set(got) == {e["messageId"] for e in events} and max(got.values()) == 1


def test_data_files_keep_to_target_file_rows_and_a_rejects_file_among_the_inputs_is_not_read(floe_bin, tmp_path):
    """`--target-file-rows` is the most rows of a data file (before, a partition's rows from one core were one piece,
    so files of one busy hour held far more); a `--rejects` file inside an input directory is no input (before, each
    run read it again, rejected its lines and appended them to it once more)."""
    events = generate(3_000, seed=81, hours=1)
    (tmp_path / "in").mkdir()
    write_lines(tmp_path / "in" / "events.ndjson", [dumps(e) for e in events] + [b'{"not":"an event"}'])
    data_dir = tmp_path / "data"
    rejects = tmp_path / "in" / "rejects.ndjson"
    for _ in range(2):
        finish(backfill(floe_bin, data_dir, [tmp_path / "in"], "--target-file-rows", "400", "--rejects", str(rejects)))
    assert len(rejects.read_text().splitlines()) == 1
    table = load_table(data_dir, "events")
    counts = [f["record_count"] for f in table.inspect.files().to_pylist()]
    assert max(counts) <= 400 and sum(counts) == 3_000, counts
    got = Counter(r["message_id"] for r in pyiceberg_rows(table))
    assert set(got) == {e["messageId"] for e in events} and max(got.values()) == 1


def test_bad_lines_go_to_the_rejects_file_and_the_run_continues(floe_bin, tmp_path):
    good = generate(300, seed=63)
    lines = [dumps(e) for e in good]
    bad = {10: b"{not json", 20: dumps({"type": "track", "userId": "u"}),  # track without event
           30: dumps({"type": "identify"}), 40: b'{"type":"track","event":"x","anonymousId":"a","timestamp":"nope"}'}
    for index, line in sorted(bad.items()):
        lines.insert(index, line)
    source = write_lines(tmp_path / "mixed.ndjson", lines)
    rejects = tmp_path / "rejects.ndjson"
    summary = finish(backfill(floe_bin, tmp_path / "data", [source], "--rejects", str(rejects)))
    assert summary["events"] == 300 and summary["rejected"] == len(bad) and summary["lines"] == len(lines)
    recorded = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["line"] for r in recorded] == [i + 1 for i in sorted(bad)]
    assert all(r["file"] == str(source) and r["reasons"] for r in recorded)
    assert "event" in " ".join(recorded[1]["reasons"]) and "timestamp" in " ".join(recorded[3]["reasons"])
    assert len(pyiceberg_rows(load_table(tmp_path / "data", "events"))) == 300

    stopped = backfill(floe_bin, tmp_path / "data2", [source], "--max-errors", "1")
    out, err = stopped.communicate(timeout=120)
    assert stopped.returncode != 0 and b"rejected" in err


def test_dry_run_counts_and_writes_nothing(floe_bin, inputs, tmp_path):
    summary = finish(backfill(floe_bin, tmp_path / "data", inputs["files"][:2], "--dry-run"))
    assert summary["dry_run"] and summary["events"] == 100_000 and summary["commits"] == 0
    assert not (tmp_path / "data" / "warehouse" / "analytics").exists()
    assert not (tmp_path / "data" / "catalog.db").exists(), "a dry run opens no catalog"
    assert not (tmp_path / "data" / "backfill.db").exists(), "nor progress"
    # Nor does it record progress: the real run that follows loads every event.
    summary = finish(backfill(floe_bin, tmp_path / "data", inputs["files"][:2]))
    assert not summary["dry_run"] and summary["events"] == 100_000 and summary["commits"] >= 1
    # After it, a dry run counts what a run would load: nothing, the files being complete (it used to count them all).
    os.utime(inputs["files"][0], None)  # touched: known by its bytes, and the new time is not recorded by a dry run
    def recorded():
        with sqlite3.connect(tmp_path / "data" / "backfill.db") as db:
            return db.execute("SELECT * FROM backfill_files ORDER BY path").fetchall()
    before = recorded()
    again = finish(backfill(floe_bin, tmp_path / "data", inputs["files"][:2], "--dry-run"))
    assert (again["events"], again["skipped_files"], again["commits"]) == (0, 2, 0), again
    assert recorded() == before


def test_rows_keep_one_order_from_run_to_run(floe_bin, inputs, tmp_path):
    """Each core takes its slice of every batch in turn (three batches in flight), so the same input gives every
    data file the same rows in the same order, run after run (a unit redone after a crash rebuilds the same files)."""
    import pyarrow.parquet as pq
    orders = []
    for run in ("first", "second"):
        summary = finish(backfill(floe_bin, tmp_path / run, [inputs["files"][0]]))
        assert summary["events"] == 60_000
        rows: dict[str, list[str]] = {}
        for file in sorted((tmp_path / run).glob("warehouse/**/data/**/*.parquet")):
            partition = str(file.parent.relative_to(tmp_path / run))
            rows.setdefault(partition, []).extend(pq.read_table(file, columns=["message_id"])["message_id"].to_pylist())
        orders.append(rows)
    assert len(orders[0]) >= 72 and sum(map(len, orders[0].values())) == 60_000
    assert orders[0] == orders[1]


def test_rejected_lines_can_also_go_to_the_rejected_table_exactly_once(floe_bin, duck, tmp_path):
    """`--rejects-table`: each bad line is a row of `rejected` (route `backfill`, request id `{file}:{line}`),
    committed with its unit (under the unit's commit id, so recovery after a crash covers it as it covers the
    events); a second run over complete input records nothing again. A line that is not JSON (invalid UTF-8
    included) is recorded by its reasons and size, so the string column stays readable (DuckDB refuses invalid
    UTF-8)."""
    good = generate(20_000, seed=64)
    lines = [dumps(e) for e in good]
    bad = {i: dumps({"type": "track", "userId": f"u{i}", "messageId": f"bad-{i}"}) for i in range(100, 20_000, 500)}
    for index, line in sorted(bad.items()):
        lines.insert(index, line)
    lines.insert(5, b"{not json")
    lines.insert(7, b'{"type":"track","event":"\xff"}')
    source = write_lines(tmp_path / "mixed.ndjson.zst", lines)
    data_dir = tmp_path / "data"
    summary = finish(backfill(floe_bin, data_dir, [source], "--rejects-table", "--unit-events", "5000"))
    assert summary["rejected"] == len(bad) + 2
    again = finish(backfill(floe_bin, data_dir, [source], "--rejects-table"))
    assert again["events"] == 0 and again["commits"] == 0

    rows = pyiceberg_rows(load_table(data_dir, "rejected"))
    assert len(rows) == len(bad) + 2
    assert len(duckdb_rows(duck, load_table(data_dir, "rejected"))) == len(bad) + 2
    assert {r["route"] for r in rows} == {"backfill"}
    by_line = {int(r["request_id"].rsplit(":", 1)[1]): r for r in rows}
    line_of = {json.loads(line)["messageId"]: number + 1 for number, line in enumerate(lines) if line in bad.values()}
    for message_id, number in line_of.items():
        row = by_line[number]
        assert json.loads(row["event"])["messageId"] == message_id and row["reasons"] == ["event: is required for track"]
        assert row["request_id"] == f"{source}:{number}"
    # Text that is not a JSON object is recorded by its reasons and size alone: no rule, and no look for a writeKey
    # in it, can be placed on it (its file and line name it).
    assert by_line[6]["event"] == "" and by_line[6]["event_bytes"] == 9, by_line[6]
    assert "json" in by_line[6]["reasons"][0].lower(), by_line[6]
    assert by_line[8]["event"] == "" and by_line[8]["event_bytes"] == 28, by_line[8]
    assert len(pyiceberg_rows(load_table(data_dir, "events"))) == len(good)


@pytest.mark.parametrize("suffix", [".ndjson", ".ndjson.gz", ".ndjson.zst"])
def test_line_shapes_and_batch_boundaries_keep_lines_and_line_numbers(floe_bin, tmp_path, suffix):
    """Lines are read in batches of one buffer: CRLF endings, blank lines, a line of over 1 MiB, a last line
    without a newline and (gzip) concatenated members all count as lines of the file, and a bad line's number
    is right after several batch and read-buffer boundaries."""
    good = generate(40_000, seed=64)
    lines = [dumps(e) for e in good]
    big = dict(good[0], messageId="big-one", properties={"blob": "x" * (1 << 21)})
    lines.insert(17_000, dumps(big))            # spans several 1 MiB reads
    lines.insert(20_000, b"")                    # blank: counted as a line, no event
    lines.insert(33_333, b"{not json")          # past two 16,384-line batches
    data = b"\r\n".join(lines[:25_000]) + b"\r\n" + b"\n".join(lines[25_000:])  # no newline at the end
    path = tmp_path / ("lines" + suffix)
    if suffix.endswith(".gz"):
        half = len(data) // 2
        path.write_bytes(gzip.compress(data[:half]) + gzip.compress(data[half:]))  # two gzip members
    elif suffix.endswith(".zst"):
        path.write_bytes(zstandard.ZstdCompressor().compress(data))
    else:
        path.write_bytes(data)
    rejects = tmp_path / "rejects.ndjson"
    summary = finish(backfill(floe_bin, tmp_path / "data", [path], "--rejects", str(rejects)))
    assert summary["lines"] == len(lines) and summary["events"] == 40_001 and summary["rejected"] == 1, summary
    assert [json.loads(line)["line"] for line in rejects.read_text().splitlines()] == [33_334]
    counts = Counter(row["message_id"] for row in pyiceberg_rows(load_table(tmp_path / "data", "events")))
    assert set(counts) == {e["messageId"] for e in good} | {"big-one"} and max(counts.values()) == 1


@pytest.mark.parametrize("level", ["-1", "-9"])
def test_files_from_the_gzip_tool_load_and_a_cut_copy_is_refused(floe_bin, tmp_path, level):
    """GNU gzip compresses with its own deflate, not zlib's, and names the file in the header: every event of
    its output lands once. A copy cut short fails the run with an error that names the file, and no row is
    committed."""
    good = generate(30_000, seed=65)
    plain = tmp_path / "tool.ndjson"
    plain.write_bytes(b"\n".join(dumps(e) for e in good) + b"\n")
    subprocess.run(["gzip", level, "--keep", str(plain)], check=True)
    path = tmp_path / "tool.ndjson.gz"
    assert path.read_bytes()[3] & 0x08, "gzip stores the file name"
    summary = finish(backfill(floe_bin, tmp_path / "data", [path]))
    assert summary["lines"] == 30_000 and summary["events"] == 30_000 and summary["rejected"] == 0, summary
    counts = Counter(row["message_id"] for row in pyiceberg_rows(load_table(tmp_path / "data", "events")))
    assert set(counts) == {e["messageId"] for e in good} and max(counts.values()) == 1

    cut = tmp_path / "cut.ndjson.gz"
    cut.write_bytes(path.read_bytes()[:-1000])
    process = backfill(floe_bin, tmp_path / "cut-data", [cut])
    out, err = process.communicate(timeout=600)
    assert process.returncode != 0, out.decode()
    assert f"{cut} is not valid gzip: the compressed data ends too soon" in err.decode(), err.decode()[-2000:]
    try:
        rows = pyiceberg_rows(load_table(tmp_path / "cut-data", "events"))
    except Exception:  # no table: nothing was committed either
        rows = []
    assert rows == []


def test_a_resumed_run_reads_each_line_in_its_own_format(floe_bin, tmp_path):
    """With `--format auto` each line's format is its own, also when a run resumes in the middle: here the second
    run starts at a malformed line that looks like no CloudEvent (rejected), and the CloudEvents after it load."""
    cloud = generate(2_048, seed=64, fmt="cloudevents")
    lines = [dumps(e) for e in cloud[:1_024]] + [b"{}"] + [dumps(e) for e in cloud[1_024:]]
    source = write_lines(tmp_path / "cloud.ndjson", lines)
    data_dir = tmp_path / "data"
    # The first unit (1,024 lines) commits; the malformed line after it stops the run.
    stopped = backfill(floe_bin, data_dir, [source], "--unit-events", "1024", "--max-errors", "0")
    out, err = stopped.communicate(timeout=120)
    assert stopped.returncode != 0 and b"rejected" in err, err.decode()[-2000:]
    assert b"1024 events from 1024 lines were committed before" in err, err.decode()[-2000:]
    # With --json the summary line is printed too, counting what the stopped run committed.
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert summary["stopped"] == "more than 0 lines with rejected events", summary
    assert (summary["events"], summary["lines"], summary["rejected"], summary["commits"]) == (1_024, 1_024, 0, 1), summary
    assert len(pyiceberg_rows(load_table(data_dir, "cloudevents"))) == 1_024
    summary = finish(backfill(floe_bin, data_dir, [source], "--unit-events", "1024"))
    assert summary["rejected"] == 1 and summary["events"] == 1_024, summary
    got = Counter(r["id"] for r in pyiceberg_rows(load_table(data_dir, "cloudevents")))
    assert set(got) == {e["id"] for e in cloud} and max(got.values()) == 1


def test_auto_format_is_per_line_and_each_event_of_a_batch_line_stands_on_its_own(floe_bin, tmp_path):
    """A Segment event with a `specversion` property is a Segment event; Segment and CloudEvents lines can share a
    file; a batch line (Segment `/v1/batch` body or CloudEvents array) with one invalid event keeps its valid ones,
    as over HTTP; a UTF-8 byte order mark before the first line is skipped. The rejects file names each line once,
    and the `rejected` table holds each invalid event with its index."""
    segment = generate(6, seed=71)
    cloud = generate(4, seed=72, fmt="cloudevents")
    segment[0]["properties"] = {"specversion": "2.1", "note": "a Segment event"}
    invalid_message = {"type": "track", "userId": "u", "messageId": "no-event"}
    invalid_cloud = {"specversion": "1.0", "id": "no-source", "type": "t"}
    lines = [b"\xef\xbb\xbf" + dumps(segment[0]), dumps(cloud[0]),
             dumps({"batch": [segment[1], invalid_message, segment[2]]}),
             dumps([cloud[1], invalid_cloud, cloud[2]]), dumps(segment[3]), dumps(cloud[3]),
             dumps({"batch": segment[4:]})]
    source = write_lines(tmp_path / "mixed.ndjson", lines)
    rejects = tmp_path / "rejects.ndjson"
    data_dir = tmp_path / "data"
    summary = finish(backfill(floe_bin, data_dir, [source], "--rejects", str(rejects), "--rejects-table"))
    assert summary["events"] == 10 and summary["rejected"] == 2 and summary["lines"] == 7, summary
    assert Counter(r["message_id"] for r in pyiceberg_rows(load_table(data_dir, "events"))) == \
        Counter(e["messageId"] for e in segment)
    assert Counter(r["id"] for r in pyiceberg_rows(load_table(data_dir, "cloudevents"))) == Counter(e["id"] for e in cloud)
    recorded = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["line"] for r in recorded] == [3, 4], recorded
    assert recorded[0]["reasons"] == ["batch[1].event: is required for track"], recorded
    rows = sorted(pyiceberg_rows(load_table(data_dir, "rejected")), key=lambda r: r["request_id"])
    assert [(json.loads(r["event"]).get("messageId") or json.loads(r["event"])["id"]) for r in rows] == ["no-event", "no-source"]
    assert [r["request_id"] for r in rows] == [f"{source}:3", f"{source}:4"]


def test_a_pipe_is_read_once_with_the_automatic_format(floe_bin, tmp_path):
    """`floe backfill /dev/stdin`: nothing is read ahead to guess the format, so no line is lost."""
    events = generate(5_000, seed=73)
    data = b"\n".join(dumps(e) for e in events) + b"\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_", "R2_", "AWS_"))}
    result = subprocess.run([str(floe_bin), "backfill", "--data-dir", str(tmp_path / "data"), "--json", "/dev/stdin"],
                            input=data, capture_output=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    summary = json.loads(result.stdout.decode().strip().splitlines()[-1])
    assert summary["events"] == 5_000 and summary["rejected"] == 0, summary
    got = Counter(r["message_id"] for r in pyiceberg_rows(load_table(tmp_path / "data", "events")))
    assert set(got) == {e["messageId"] for e in events} and max(got.values()) == 1


def test_a_second_backfill_on_the_same_data_directory_is_refused_while_one_runs(floe_bin, tmp_path):
    """Two runs over the same input at once would both load it; the second is refused, nothing is written twice."""
    import fcntl
    source = write_lines(tmp_path / "in.ndjson", [dumps(e) for e in generate(100, seed=74)])
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with open(data_dir / "backfill.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running backfill holds it
        refused = backfill(floe_bin, data_dir, [source])
        out, err = refused.communicate(timeout=120)
        assert refused.returncode != 0 and b"another floe backfill is using this data directory" in err, err.decode()[-2000:]
    summary = finish(backfill(floe_bin, data_dir, [source]))
    assert summary["events"] == 100
    assert len(pyiceberg_rows(load_table(data_dir, "events"))) == 100


def test_odd_inputs_and_paths(floe_bin, tmp_path):
    """A name with glob characters that exists is that file; zero padding after a gzip member is ignored, as gzip
    does; a rejects path that cannot be written fails the run before anything is loaded."""
    events = generate(30, seed=75)
    literal = write_lines(tmp_path / "export[1].ndjson", [dumps(e) for e in events[:10]])
    padded = tmp_path / "padded.ndjson.gz"
    padded.write_bytes(gzip.compress(b"\n".join(dumps(e) for e in events[10:20]) + b"\n") + bytes(512))
    summary = finish(backfill(floe_bin, tmp_path / "data", [literal, padded]))
    assert summary["events"] == 20 and summary["input_files"] == 2, summary

    other = write_lines(tmp_path / "other.ndjson", [dumps(e) for e in events[20:]])
    failed = backfill(floe_bin, tmp_path / "data", [other], "--rejects", str(tmp_path / "missing" / "r.ndjson"))
    out, err = failed.communicate(timeout=120)
    assert failed.returncode != 0 and b"cannot write the rejects file" in err, err.decode()[-2000:]
    assert len(pyiceberg_rows(load_table(tmp_path / "data", "events"))) == 20


def test_a_touched_or_appended_file_is_not_loaded_again(floe_bin, tmp_path):
    """Progress follows a file's bytes, not only its size and time: touched (or copied without -p), a loaded file
    adds nothing; appended to, only the new lines load. Progress belongs to one target: a run with the same data
    directory to another warehouse is refused instead of skipping what it never loaded there."""
    events = generate(150, seed=76)
    source = write_lines(tmp_path / "in.ndjson", [dumps(e) for e in events[:100]])
    data_dir = tmp_path / "data"
    assert finish(backfill(floe_bin, data_dir, [source]))["events"] == 100
    os.utime(source, (time.time() + 60, time.time() + 60))
    assert finish(backfill(floe_bin, data_dir, [source]))["events"] == 0
    with open(source, "ab") as appended:
        appended.write(b"\n".join(dumps(e) for e in events[100:]) + b"\n")
    assert finish(backfill(floe_bin, data_dir, [source]))["events"] == 50
    got = Counter(r["message_id"] for r in pyiceberg_rows(load_table(data_dir, "events")))
    assert set(got) == {e["messageId"] for e in events} and max(got.values()) == 1

    elsewhere = backfill(floe_bin, data_dir, [source], "--warehouse", str(tmp_path / "other-warehouse"))
    out, err = elsewhere.communicate(timeout=120)
    assert elsewhere.returncode != 0 and b"backfill progress is for" in err, err.decode()[-2000:]


def test_lines_appended_behind_a_symbolic_link_are_loaded(floe_bin, tmp_path):
    """A link (`current.ndjson -> ...`, or a directory of links) is followed for the file's size and time: appended to
    behind the link, its new lines load; before, the link's own size and time kept it "complete" and they were lost."""
    events = generate(90, seed=77)
    (tmp_path / "real").mkdir()
    target = write_lines(tmp_path / "real" / "in.ndjson", [dumps(e) for e in events[:60]])
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "in.ndjson"
    link.symlink_to(target)
    data_dir = tmp_path / "data"
    assert finish(backfill(floe_bin, data_dir, [link]))["events"] == 60
    assert finish(backfill(floe_bin, data_dir, [link]))["events"] == 0
    with open(target, "ab") as appended:
        appended.write(b"\n".join(dumps(e) for e in events[60:75]) + b"\n")
    assert finish(backfill(floe_bin, data_dir, [link]))["events"] == 15
    with open(target, "ab") as appended:
        appended.write(b"\n".join(dumps(e) for e in events[75:]) + b"\n")
    # Through the directory of links, the same name.
    assert finish(backfill(floe_bin, data_dir, [tmp_path / "links"]))["events"] == 15
    got = Counter(r["message_id"] for r in pyiceberg_rows(load_table(data_dir, "events")))
    assert set(got) == {e["messageId"] for e in events} and max(got.values()) == 1


def test_a_rotated_or_copied_file_keeps_its_progress_under_its_new_name(floe_bin, tmp_path):
    """Log rotation renames a loaded file and starts a new one under the old name (`events.ndjson` becomes
    `events.ndjson.1`, lines having been added before the rename): a later run of the same glob loads the new file and
    only the renamed one's new lines. Before, progress was per name, so the renamed file loaded again whole. A copy
    under another name (a backup) adds nothing either, and a second rotation (`.1` to `.2`) loads nothing again."""
    events = generate(400, seed=78)
    lines = [dumps(e) for e in events]
    logs = tmp_path / "logs"
    logs.mkdir()
    current = write_lines(logs / "events.ndjson", lines[:100])
    data_dir = tmp_path / "data"
    pattern = str(logs / "events.ndjson*")
    assert finish(backfill(floe_bin, data_dir, [pattern]))["events"] == 100
    with open(current, "ab") as appended:
        appended.write(b"\n".join(lines[100:150]) + b"\n")
    current.rename(logs / "events.ndjson.1")
    write_lines(current, lines[150:250])
    summary = finish(backfill(floe_bin, data_dir, [pattern]))
    assert (summary["events"], summary["input_files"]) == (150, 2), summary
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "events.ndjson").write_bytes((logs / "events.ndjson.1").read_bytes())
    (logs / "events.ndjson.1").rename(logs / "events.ndjson.2")
    current.rename(logs / "events.ndjson.1")
    write_lines(current, lines[250:])
    summary = finish(backfill(floe_bin, data_dir, [pattern, tmp_path / "backup"]))
    assert (summary["events"], summary["skipped_files"], summary["input_files"]) == (150, 3, 4), summary
    assert finish(backfill(floe_bin, data_dir, [pattern, tmp_path / "backup"]))["events"] == 0
    got = Counter(r["message_id"] for r in pyiceberg_rows(load_table(data_dir, "events")))
    assert set(got) == {e["messageId"] for e in events} and max(got.values()) == 1


def test_copies_of_a_file_in_one_run_load_its_lines_once(floe_bin, tmp_path):
    """Copies of a file no earlier run loaded, named in one run (an export and its backup, one of them grown since):
    the first loads, the same bytes later in the run add nothing, and a copy that has grown adds only its new lines,
    also when the first copy's unit is not committed yet. Before, each copy was loaded whole."""
    events = generate(300, seed=79)
    lines = [dumps(e) for e in events]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_lines(tmp_path / "a" / "export.ndjson", lines[:200])
    write_lines(tmp_path / "b" / "export.ndjson", lines[:200])
    write_lines(tmp_path / "b" / "export-grown.ndjson", lines[:200] + lines[200:])
    summary = finish(backfill(floe_bin, tmp_path / "data", [tmp_path / "a", tmp_path / "b"]))
    assert (summary["events"], summary["skipped_files"], summary["input_files"]) == (300, 1, 3), summary
    assert finish(backfill(floe_bin, tmp_path / "data", [tmp_path / "a", tmp_path / "b"]))["events"] == 0
    got = Counter(r["message_id"] for r in pyiceberg_rows(load_table(tmp_path / "data", "events")))
    assert set(got) == {e["messageId"] for e in events} and max(got.values()) == 1


def test_which_files_a_directory_gives(floe_bin, tmp_path):
    """A directory gives its NDJSON files in any letter case and compression (`.gz`, `.zst`, `.zstd`) and Segment's S3
    archive objects (`{ms}.{uuid}.gz`, no `.json` in the name), each read by its suffix; other files are left alone.
    A directory that gives nothing is an error, as a glob that matches nothing is."""
    events = generate(60, seed=94)
    lines = [dumps(e) for e in events]
    archive = tmp_path / "segment-logs" / "src1" / "1587427200000"
    archive.mkdir(parents=True)
    write_lines(archive / "1587495600000.3c7dbe6b-e9d9-4b25-8ccd-9b7aa6c51b8a.gz", lines[:20])
    (tmp_path / "segment-logs" / "UPPER.NDJSON.GZ").write_bytes(gzip.compress(b"\n".join(lines[20:40]) + b"\n"))
    (tmp_path / "segment-logs" / "long.ndjson.zstd").write_bytes(
        zstandard.ZstdCompressor().compress(b"\n".join(lines[40:]) + b"\n"))
    (tmp_path / "segment-logs" / "backup.tar.gz").write_bytes(gzip.compress(b"not an input"))
    (tmp_path / "segment-logs" / "notes.txt").write_bytes(b"not an input")
    summary = finish(backfill(floe_bin, tmp_path / "data", [tmp_path / "segment-logs"]))
    assert (summary["events"], summary["rejected"], summary["input_files"]) == (60, 0, 3), summary
    counts = Counter(r["message_id"] for r in pyiceberg_rows(load_table(tmp_path / "data", "events")))
    assert set(counts) == {e["messageId"] for e in events} and max(counts.values()) == 1

    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_bytes(b"not an input")
    failed = backfill(floe_bin, tmp_path / "data", [tmp_path / "empty"])
    _, err = failed.communicate(timeout=120)
    assert failed.returncode != 0 and f"no input file under {tmp_path / 'empty'}".encode() in err, err.decode()[-2000:]
    # Through a glob, a directory without inputs is passed over: the glob as a whole gives the files.
    again = finish(backfill(floe_bin, tmp_path / "data", [tmp_path / "*"]))
    assert (again["events"], again["skipped_files"], again["input_files"]) == (0, 3, 3), again


def test_one_file_named_several_ways_is_read_once(floe_bin, tmp_path):
    """The same file given as itself, through a symbolic link and a hard link, and inside a directory: its events load
    once, not once per name."""
    events = generate(40, seed=93)
    exports = tmp_path / "exports"
    exports.mkdir()
    source = write_lines(exports / "a.ndjson", [dumps(e) for e in events])
    (tmp_path / "link.ndjson").symlink_to(source)
    os.link(source, tmp_path / "hard.ndjson")
    data_dir = tmp_path / "data"
    summary = finish(backfill(floe_bin, data_dir, [source, tmp_path / "link.ndjson", tmp_path / "hard.ndjson", exports]))
    assert (summary["events"], summary["input_files"]) == (40, 1), summary
    counts = Counter(r["message_id"] for r in pyiceberg_rows(load_table(data_dir, "events")))
    assert set(counts) == {e["messageId"] for e in events} and max(counts.values()) == 1


def test_a_directory_that_holds_the_data_directory_is_read_without_it(floe_bin, tmp_path):
    """`floe backfill .` from a folder that also holds `./floe-data` (the default): the data directory's own files
    (the rejects file, metadata JSON, a download cache) are not input, so a second and third run add nothing,
    through a directory or a glob."""
    work = tmp_path / "work"
    good = generate(50, seed=91)
    (work / "exports").mkdir(parents=True)
    write_lines(work / "exports" / "a.ndjson", [dumps(e) for e in good] + [b"{not json"])
    data_dir = work / "floe-data"
    first = finish(backfill(floe_bin, data_dir, [work]))
    assert (first["events"], first["rejected"]) == (50, 1), first
    assert (data_dir / "backfill-rejects.ndjson").exists()
    for paths in ([work], [work / "*"], [work / "*" / "*.ndjson"]):
        again = finish(backfill(floe_bin, data_dir, paths))
        assert (again["events"], again["rejected"], again["input_files"]) == (0, 0, 1), again
    # A data directory named through a symbolic link is still known in the walk.
    other = tmp_path / "other"
    (other / "exports").mkdir(parents=True)
    (other / "floe-data").mkdir()
    write_lines(other / "exports" / "a.ndjson", [dumps(e) for e in good] + [b"{not json"])
    (tmp_path / "data-link").symlink_to(other / "floe-data")
    runs = [finish(backfill(floe_bin, tmp_path / "data-link", [other])) for _ in range(2)]
    assert [(r["events"], r["rejected"], r["input_files"]) for r in runs] == [(50, 1, 1), (0, 0, 1)], runs
    counts = Counter(r["message_id"] for r in pyiceberg_rows(load_table(data_dir, "events")))
    assert set(counts) == {e["messageId"] for e in good} and max(counts.values()) == 1


def flatten(record: dict, prefix: str = ""):
    """The (dotted key, value) pairs of a JSON log record, nested metadata included."""
    for key, value in record.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def test_progress_is_logged_in_the_log_format(floe_bin, tmp_path):
    """Without a terminal, progress goes to the log: with `log_format: json` every line on stderr is a JSON object,
    one of them the progress with its counts."""
    source = write_lines(tmp_path / "a.ndjson", [dumps(e) for e in generate(500, seed=92)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_", "R2_", "AWS_"))}
    done = subprocess.run([str(floe_bin), "backfill", "--data-dir", str(tmp_path / "data"), str(source)],
                          env={**env, "FLOE_LOG_FORMAT": "json"}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    records = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    progress = [r for r in records if "backfill progress" in json.dumps(r)]
    assert progress, records
    # The file being read counts towards the progress: one file alone gets an ETA, not "?" until it is done.
    etas = [value for r in progress for key, value in flatten(r) if key.endswith("eta")]
    assert etas and "?" not in etas, progress

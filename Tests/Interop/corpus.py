"""Test events from gen_events.py (Benchmarks/gen_events.py, the repo's copy of the shared corpus generator) and the request bodies that carry them."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

GEN_EVENTS = Path(__file__).resolve().parents[2] / "Benchmarks" / "gen_events.py"  # the one copy in the repo

CLOUDEVENTS_JSON = "application/cloudevents+json"


def generate(count: int, seed: int, fmt: str = "segment", **options) -> list[dict]:
    """`count` events from `gen_events.py --count --seed --format`; options become further flags (hours=2 → --hours 2)."""
    command = [sys.executable, str(GEN_EVENTS), "--count", str(count), "--seed", str(seed), "--format", fmt]
    for name, value in options.items():
        command += [f"--{name}", str(value)]
    output = subprocess.run(command, check=True, capture_output=True).stdout
    return [json.loads(line) for line in output.splitlines()]


def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def batch_bodies(events: list[dict], size: int, **batch_fields) -> list[tuple[list[dict], bytes]]:
    """`/v1/batch` bodies of up to `size` events each, with the events each one carries."""
    chunks = [events[i:i + size] for i in range(0, len(events), size)]
    return [(chunk, dumps({"batch": chunk, **batch_fields})) for chunk in chunks]


def micros(iso: str | None) -> int | None:
    """An ISO-8601 UTC time as sent by clients, as integer microseconds since the epoch."""
    if iso is None:
        return None
    t = dt.datetime.fromisoformat(iso)
    return (t - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)


def iso(t: dt.datetime) -> str:
    """Millisecond ISO-8601 with a Z, as the Segment SDKs send times."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass
class Window:
    """The wall-clock span in which the server received a test's events (epoch microseconds).

    A millisecond of slack on each side allows for a server clock kept in milliseconds.
    """
    start: int
    end: int | None = None

    SLACK_US = 1_000

    @classmethod
    def open(cls) -> Window:
        return cls(start=time.time_ns() // 1_000 - cls.SLACK_US)

    def close(self) -> Window:
        self.end = time.time_ns() // 1_000 + self.SLACK_US
        return self

    def __contains__(self, t_us: int | None) -> bool:
        assert self.end is not None, "window still open"
        return t_us is not None and self.start <= t_us <= self.end


def track_events_at(times: list[dt.datetime], seed: int) -> list[dict]:
    """Track messages from the corpus, one sent at each of `times`, without sentAt (so no skew correction applies)."""
    pool = [event for event in generate(3 * len(times) + 30, seed) if event["type"] == "track"]
    assert len(pool) >= len(times), "corpus too small"
    events = []
    for event, t in zip(pool, times):
        del event["sentAt"]
        event["timestamp"] = iso(t)
        events.append(event)
    return events

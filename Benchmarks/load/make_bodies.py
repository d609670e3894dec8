#!/usr/bin/env python3
"""Request bodies for the wrk load script: gen_events.py events with "@MID@" message ids.

  make_bodies.py --batch 100 --count 20000 > batches.ndjson   # /v1/batch bodies
  make_bodies.py --batch 0 --count 2000 > tracks.ndjson       # single /v1/track messages
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=100)
ap.add_argument("--count", type=int, default=20000)
ap.add_argument("--seed", type=int, default=42)
a = ap.parse_args()
generator = Path(__file__).resolve().parents[1] / "gen_events.py"
lines = subprocess.run([sys.executable, str(generator), "--count", str(a.count), "--seed", str(a.seed)],
                       capture_output=True, text=True, check=True).stdout.splitlines()
events = [json.loads(line) for line in lines]
for event in events:
    event["messageId"] = "@MID@"
dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
if a.batch <= 0:
    for event in events:
        event["type"] = "track"
        event.setdefault("event", "Page Viewed")
        sys.stdout.write(dumps(event) + "\n")
else:
    for start in range(0, len(events), a.batch):
        sys.stdout.write(dumps({"batch": events[start:start + a.batch]}) + "\n")

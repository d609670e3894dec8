#!/usr/bin/env python3
"""Turns the JSON lines of compare.sh into results/latest.json, latest.md and ingest-by-batch.png."""
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

lines_path, out = Path(sys.argv[1]), Path(sys.argv[2])
records = []
for number, line in enumerate(lines_path.read_text().splitlines(), 1):
    if line.strip():
        try:  # a peer that failed leaves `"result":}` behind: skip that line, keep the others
            records.append(json.loads(line))
        except json.JSONDecodeError:
            print(f"{lines_path}:{number}: not JSON, skipped: {line[:120]}", file=sys.stderr)


def pick(bench, side):
    return [r["result"] for r in records if r["bench"] == bench and r["side"] == side]


def best(bench, side, key):
    found = pick(bench, side)
    return max(found, key=lambda r: r[key]) if found else None


rows = []
summary = {}
# Each codec: Floe against every Parquet peer whose line is there. summary["parquet_<codec>"] holds each peer's
# result under its name and, under "ratios", Floe's speed and size against it; speed_ratio and size_ratio at the
# top are against pyarrow, as before polars and duckdb were added.
PARQUET_PEERS = {"pyarrow": "pyarrow", "polars": "polars", "duckdb": "DuckDB"}
notes = []  # what a peer's file lost against Floe's rows (its "note"), printed under the table
for codec in ("zstd1", "zstd3", "snappy0"):
    floe = best(f"parquet-{codec}", "floe", "rows_per_s")
    peers = {side: result for side in PARQUET_PEERS if (result := best(f"parquet-{codec}", side, "rows_per_s"))}
    if not floe or not peers:
        continue
    name = codec.replace("0", "") if codec == "snappy0" else codec.replace("zstd", "zstd level ")
    entry = summary[f"parquet_{codec}"] = {"floe": floe}
    ratios = {}
    for side, peer in peers.items():
        speed, size = floe["rows_per_s"] / peer["rows_per_s"], floe["bytes"] / peer["bytes"]
        entry[side] = peer
        ratios[side] = {"speed_ratio": speed, "size_ratio": size}
        if side == "pyarrow":
            entry.update(speed_ratio=speed, size_ratio=size)
        threads = f", {peer['threads']} threads" if "threads" in peer else ""
        rows.append((f"Parquet encode, {name}" + ("" if side == "pyarrow" else f", vs {PARQUET_PEERS[side]}"),
                     f"{floe['rows_per_s']:,} rows/s, {floe['bytes']:,} B",
                     f"{PARQUET_PEERS[side]} {peer['rows_per_s']:,} rows/s, {peer['bytes']:,} B{threads}",
                     f"{speed:.2f}× speed, {size:.2f}× size"))
        if peer.get("note"):
            notes.append(f"{PARQUET_PEERS[side]}, Parquet {name}: {peer['note']}")
    entry["ratios"] = ratios

floe, peer = best("flush", "floe", "events_per_s"), best("flush", "pyiceberg", "events_per_s")
if floe and peer:
    ratio = floe["events_per_s"] / peer["events_per_s"]
    summary["flush"] = {"floe": floe, "floe_runs": pick("flush", "floe"), "pyiceberg": peer, "ratio": ratio}
    rows.append(("Flush 100k events, 2,000/partition/file", f"{floe['events_per_s']:,} events/s, commit p50 {floe['commit_ms_p50']:.1f} ms",
                 f"pyiceberg {peer['events_per_s']:,} events/s, append p50 {peer['commit_ms_p50']:.1f} ms", f"{ratio:.1f}×"))

floe, peer = best("flush-small", "floe", "events_per_s"), best("flush-small", "pyiceberg", "events_per_s")
if floe and peer:
    ratio = floe["events_per_s"] / peer["events_per_s"]
    summary["flush_small_partitions"] = {"floe": floe, "floe_runs": pick("flush-small", "floe"), "pyiceberg": peer, "ratio": ratio}
    rows.append((f"Flush {floe['events']:,} events over 3 hours (many small partitions, {floe['files']} files)",
                 f"{floe['events_per_s']:,} events/s, {floe['commits']} commits, commit p50 {floe['commit_ms_p50']:.1f} ms",
                 f"pyiceberg {peer['events_per_s']:,} events/s, {peer['commits']} appends", f"{ratio:.1f}×"))

health_runs = pick("ingest-health", "floe")
health = sum(r["requests_per_s"] for r in health_runs) / len(health_runs) if health_runs else None
if health:
    summary["ingest_health_requests_per_s"] = health


def changed(result):
    settings = result.get("settings") or {}
    return ", ".join(f"{k}={v}" for k, v in sorted(settings.items())) or "defaults"


def cpu(result):
    # CPU while the load ran (older result files have none).
    if result.get("server_cpu_cores") is None:
        return ""
    return (f"; server {result['server_cpu_cores']:.2f} cores ({result['server_cpu_us_per_request']:.0f} µs a request), "
            f"generator {result['generator_cpu_cores']:.2f} cores, machine {result['machine_busy']:.0%} busy")


for name, label in (("ingest-sustained-batch-100", "/v1/batch of 100, paced"),
                    ("ingest-sustained-track", "/v1/track, paced at 40 % of GET /health")):
    result = best(name, "floe", "events_per_s")
    if result:
        summary[name.replace("-", "_")] = result
        verdict = "sustained" if result.get("sustained") else "NOT sustained"
        rows.append((f"Sustained end to end: {label} ({result['seconds']:.0f} s, {changed(result)})",
                     f"{result['events_per_s']:,} events/s accepted and committed, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
                     f"{result['failed']} refused, {result.get('unsent', 0)} not sent (behind at the end), buffer max {result['buffer_max']:,} (end {result['buffer_end']:,}), "
                     f"{result['committed']:,} of {result['events']:,} committed{cpu(result)}",
                     f"offered {result['rate'] * max(result['batch'], 1):,.0f} events/s" if result.get("rate") else "",
                     verdict))

if health:
    track = best("ingest-track", "floe", "requests_per_s")
    if track:
        ratio = track["requests_per_s"] / health
        summary["ingest_track"] = {"floe": track, "ratio_to_health": ratio}
        rows.append((f"Buffer only (nothing flushed; {changed(track)}): /v1/track", f"{track['requests_per_s']:,} req/s, p50 {track['p50_ms']} ms, p99 {track['p99_ms']} ms",
                     f"GET /health {health:,.0f} req/s", f"{ratio:.0%} of /health"))
    for batch in (10, 100, 500):
        result = best(f"ingest-batch-{batch}", "floe", "events_per_s")
        if result:
            summary[f"ingest_batch_{batch}"] = result
            rows.append((f"Buffer only (nothing flushed): /v1/batch of {batch}", f"{result['events_per_s']:,} events/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms",
                         f"GET /health {health:,.0f} req/s", f"{result['requests_per_s'] / health:.0%} of /health req/s"))

for name, label in (("ingest-half-batch-100", "/v1/batch of 100 at 50,000 events/s"),
                    ("ingest-half-track", "/v1/track at half its sustained rate")):
    result = best(name, "floe", "events_per_s")
    if result:
        summary[name.replace("-", "_")] = result
        rows.append((f"Latency at half load: {label}", f"p50 {result['p50_ms']} ms, p90 {result['p90_ms']} ms, p99 {result['p99_ms']} ms",
                     f"{result['requests_per_s']:,} req/s paced, flushes running", "goal p99 < 20 ms"))
result = best("buffered-1m", "floe", "events")
if result:
    summary["buffered_1m"] = result
    rows.append((f"Memory with {result['events']:,} events buffered", f"RSS {result['server_rss_mb']} MB "
                 f"(heap {result['server_rss_anon_mb']} MB, files {result['server_rss_file_mb']} MB)",
                 f"ingested at {result['events_per_s']:,} events/s, no flush", "goal < 200 MB"))

wrk_health = pick("wrk-health", "floe")
if wrk_health:
    rate = lambda r: r["requests"] / r["duration_s"]
    # Each endpoint's sustained rate is its best run over the connection sweep (the best /health run is the
    # stricter ceiling); the per-connection ratios are reported too.
    health = max(wrk_health, key=rate)
    track = max(pick("wrk-track", "floe"), key=rate, default=None)
    batch = max(pick("wrk-batch-100", "floe"), key=rate, default=None)
    summary["wrk_health"] = {"result": health, "requests_per_s": rate(health)}
    if track:
        ratio = rate(track) / rate(health)
        summary["wrk_track"] = {"result": track, "requests_per_s": rate(track), "ratio_to_health": ratio}
        rows.append(("Ingest /v1/track, wrk, best of 16/64/128 connections",
                     f"{rate(track):,.0f} req/s at {track.get('connections', 16)} connections, p50 {track['p50_ms']} ms, p99 {track['p99_ms']} ms",
                     f"GET /health {rate(health):,.0f} req/s at {health.get('connections', 16)} connections (wrk)", f"{ratio:.0%} of /health"))
        for connections in sorted({r.get("connections", 16) for r in pick("wrk-track", "floe")}):
            at = lambda bench: [r for r in pick(bench, "floe") if r.get("connections", 16) == connections]
            if at("wrk-health") and at("wrk-track"):
                h, t = max(at("wrk-health"), key=rate), max(at("wrk-track"), key=rate)
                summary[f"wrk_track_c{connections}"] = {"requests_per_s": rate(t), "health_requests_per_s": rate(h),
                                                       "ratio_to_health": rate(t) / rate(h), "p99_ms": t["p99_ms"]}
                rows.append((f"Ingest /v1/track, wrk, {connections} connections", f"{rate(t):,.0f} req/s, p99 {t['p99_ms']} ms",
                             f"GET /health {rate(h):,.0f} req/s", f"{rate(t) / rate(h):.0%} of /health"))
    if batch:
        summary["wrk_batch_100"] = {"result": batch, "events_per_s": rate(batch) * 100}
        rows.append(("Ingest /v1/batch of 100, wrk", f"{rate(batch) * 100:,.0f} events/s at {batch.get('connections', 16)} connections, "
                     f"p50 {batch['p50_ms']} ms, p99 {batch['p99_ms']} ms",
                     f"GET /health {rate(health):,.0f} req/s (wrk)", f"{rate(batch) / rate(health):.0%} of /health req/s"))

for events in (300_000, 1_000_000):
    peer = best(f"backfill-{events}", "pyiceberg", "events_per_s")
    for ext in ("zst", "gz"):
        runs = sorted(pick(f"backfill-{events}-{ext}", "floe"), key=lambda r: r["events_per_s"])
        if not runs or not peer:
            continue
        median = runs[len(runs) // 2]
        ratio = median["events_per_s"] / peer["events_per_s"]
        summary[f"backfill_{events}_{ext}"] = {"floe": runs, "pyiceberg": peer, "median_events_per_s": median["events_per_s"],
                                              "ratio": ratio}
        spread = (f"{runs[0]['events_per_s']:,}–{runs[-1]['events_per_s']:,} events/s, median {median['events_per_s']:,} "
                  f"({len(runs)} runs)" if len(runs) > 1 else f"{median['events_per_s']:,} events/s")
        rows.append((f"Backfill {events:,} events over 72 h (.{ext})", f"{spread}, {median['data_files']} files, {median['commits']} commits",
                     f"pyiceberg {peer['events_per_s']:,} events/s (appends only)", f"{ratio:.1f}×"))

gunzip = best("gunzip", "floe", "floe_mb_per_s")
if gunzip:
    summary["gunzip"] = gunzip
    rows.append(("gzip decode (backfill's .gz input)", f"{gunzip['floe_mb_per_s']:,} MB/s of output",
                 f"zlib inflate {gunzip['zlib_mb_per_s']:,} MB/s", f"{gunzip['floe_over_zlib']:.2f}×"))

machine = {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
           "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
(out / "latest.json").write_text(json.dumps({"machine": machine, "summary": summary, "records": records}, indent=2) + "\n")
table = ["| measure | Floe | peer | ratio |", "|---|---|---|---|"] + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
markdown = f"Measured {machine['date']} on {machine['cores']} cores ({machine['platform']}).\n\n" + "\n".join(table) + "\n"
if notes:
    markdown += "\nNotes on the peers' files:\n\n" + "\n".join(f"- {note}" for note in notes) + "\n"
(out / "latest.md").write_text(markdown)
print(markdown)

# Benchmarks/README.md's "Latest figures" shows the same table and notes, between these markers; the prose
# above them (date, build, the VM's speed that day) is written by hand.
readme = Path(__file__).resolve().parent / "README.md"
begin, end = "<!-- results/latest.md: begin -->", "<!-- results/latest.md: end -->"
text = readme.read_text()
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    readme.write_text(head + begin + "\n" + markdown.split("\n\n", 1)[1] + end + tail)

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    points = [(1, summary["ingest_track"]["floe"]["events_per_s"])] if "ingest_track" in summary else []
    points += [(b, summary[f"ingest_batch_{b}"]["events_per_s"]) for b in (10, 100, 500) if f"ingest_batch_{b}" in summary]
    if points:
        figure, axis = plt.subplots(figsize=(6, 3.5))
        axis.plot([p[0] for p in points], [p[1] for p in points], marker="o")
        axis.set_xscale("log")
        axis.set_xlabel("events per request (1 = /v1/track)")
        axis.set_ylabel("events/s (durable, fsync)")
        axis.set_title(f"Floe ingest by batch size ({machine['cores']} cores)")
        axis.grid(True, alpha=0.3)
        figure.tight_layout()
        figure.savefig(out / "ingest-by-batch.png", dpi=120)
except ImportError:
    print("matplotlib not installed: no chart", file=sys.stderr)

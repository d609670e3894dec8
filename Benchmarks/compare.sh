#!/usr/bin/env bash
# Floe against its peers, in one run on the same generated corpora; prints the ratios and writes
# Benchmarks/results/latest.json, latest.md and ingest-by-batch.png.
#   Parquet encode   floe bench parquet    vs pyarrow pq.write_table, polars write_parquet and DuckDB COPY TO
#                                                                   (ZSTD 1, ZSTD 3, SNAPPY)
#   Flush            floe bench flush      vs pyiceberg table.append   (same per-partition 2,000-event chunks)
#   Ingest           floe bench ingest     sustained end to end at the defaults (paced, >= 60 s, nothing refused,
#                                          buffer bounded, every event committed); buffer-only rows labelled;
#                                          GET /health of the same server is the HTTP ceiling
#   Backfill         floe backfill (.zst and .gz, 300k events x3 and 1M)  vs pyiceberg append of the same
#                                          events in 1M-row batches
#   gzip decode      floe bench gunzip     vs zlib inflate (backfill's .gz input)
# Usage: Benchmarks/compare.sh [--quick]     (from the repository root; make bench runs it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
QUICK=${1:-}
PY=.venv/bin/python
OUT=Benchmarks/results
TMP=$OUT/tmp
mkdir -p "$TMP"
# A current numpy under pyarrow is slower with these set; unset them for the peers only.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE || true

echo "== building the release binary" >&2
SCRATCH_ARGS=()
if [ -n "${FLOE_BENCH_SCRATCH:-}" ]; then SCRATCH_ARGS=(--scratch-path "$FLOE_BENCH_SCRATCH"); fi
swift build -c release --product floe "${SCRATCH_ARGS[@]}" >&2
FLOE="$(swift build -c release "${SCRATCH_ARGS[@]}" --show-bin-path)/floe"
LINES=$OUT/tmp/lines.jsonl
: > "$LINES"
record() { echo "{\"bench\":\"$1\",\"side\":\"$2\",\"result\":$3}" | tee -a "$LINES" >&2; }

# 300,000 events over 72 hours is the #16 target (300k events/s from .zst and from .gz), three runs each;
# 1,000,000 events once (not in --quick). First, before the other benchmarks delete their files, and each run
# in a fresh directory: deleting many files just before a run slows it down on ext4 (Benchmarks/README.md,
# session 9); the directories go at the end of the run.
BACKFILL_SIZES="300000 1000000"
if [ -n "$QUICK" ]; then BACKFILL_SIZES=300000; fi
for events in $BACKFILL_SIZES; do
  echo "== backfill corpus: $events events over 72 hours" >&2
  corpus="$TMP/backfill-$events.ndjson"
  python3 Benchmarks/gen_events.py --count "$events" --hours 72 --seed 9 > "$corpus"
  zstd -q -f "$corpus" -o "$corpus.zst"
  gzip -c "$corpus" > "$corpus.gz"
  runs=1
  if [ "$events" = 300000 ]; then runs=3; fi
  for run in $(seq $runs); do
    for ext in zst gz; do
      record "backfill-$events-$ext" floe "$($FLOE backfill --data-dir "$TMP/backfill-data-$events-$ext-$run" --json "$corpus.$ext" 2>/dev/null)"
    done
  done
  record "backfill-$events" pyiceberg "$($PY Benchmarks/peers/pyiceberg_backfill.py --input "$corpus")"
done
record gunzip floe "$($FLOE bench gunzip --input "$TMP/backfill-300000.ndjson.gz")"

echo "== corpus: gen_events.py --count 100000 --seed 42" >&2
python3 Benchmarks/gen_events.py --count 100000 --seed 42 > "$TMP/corpus.ndjson"

for spec in zstd:1 zstd:3 snappy:0; do
  codec=${spec%%:*}; level=${spec##*:}
  record "parquet-$codec$level" floe "$($FLOE bench parquet --input "$TMP/corpus.ndjson" --codec "$codec" --level "${level/0/1}" --repeat 5 --output "$TMP/floe-$codec.parquet")"
  if [ "$codec" = snappy ]; then lv=""; else lv="--level $level"; fi
  record "parquet-$codec$level" pyarrow "$($PY Benchmarks/peers/pyarrow_parquet.py --input "$TMP/floe-$codec.parquet" --codec "$codec" $lv --repeat 5)"
  record "parquet-$codec$level" polars "$($PY Benchmarks/peers/polars_parquet.py --input "$TMP/floe-$codec.parquet" --codec "$codec" $lv --repeat 5)"
  record "parquet-$codec$level" duckdb "$($PY Benchmarks/peers/duckdb_parquet.py --input "$TMP/floe-$codec.parquet" --codec "$codec" $lv --repeat 5)"
done

for run in 1 2 3; do
  record flush floe "$($FLOE bench flush --input "$TMP/corpus.ndjson" --batch 2000)"
done
record flush pyiceberg "$($PY Benchmarks/peers/pyiceberg_flush.py --input "$TMP/corpus.ndjson" --batch 2000)"
# Many small partitions, where the fixed cost per file dominates: 60,000 events over 3 hours (about 40 files).
python3 Benchmarks/gen_events.py --count 60000 --hours 3 --seed 5 > "$TMP/small-partitions.ndjson"
for run in 1 2 3; do
  record flush-small floe "$($FLOE bench flush --input "$TMP/small-partitions.ndjson" --batch 2000)"
done
record flush-small pyiceberg "$($PY Benchmarks/peers/pyiceberg_flush.py --input "$TMP/small-partitions.ndjson" --batch 2000)"

SECONDS_PER=${QUICK:+4}; SECONDS_PER=${SECONDS_PER:-8}
SUSTAINED_SECONDS=${QUICK:+20}; SUSTAINED_SECONDS=${SUSTAINED_SECONDS:-60}
# Every ingest run starts `floe serve` with the defaults a user gets; a run that changes a setting lists it in
# its result ("settings"). GET /health is the HTTP ceiling of the same server.
record ingest-health floe "$($FLOE bench ingest --input "$TMP/corpus.ndjson" --health --seconds "$SECONDS_PER")"
HEALTH_RATE=$(grep '"bench":"ingest-health"' "$LINES" | tail -1 | sed 's/.*"requests_per_s":\([0-9]*\).*/\1/')

# Sustained end to end (the headline): paced for SUSTAINED_SECONDS at the default configuration, counted only
# when no request is refused, the buffer ends no larger than it started plus one flush threshold per partition,
# and every accepted event is in the tables at the end ("sustained": true). /v1/batch of 100 at 100,000 events/s,
# and /v1/track at 40 % of the GET /health rate.
record ingest-sustained-batch-100 floe "$($FLOE bench ingest --input "$TMP/corpus.ndjson" --batch 100 --rate 1000 --connections 32 --seconds "$SUSTAINED_SECONDS")"
TRACK_RATE=$(( ${HEALTH_RATE:-10000} * 2 / 5 ))
# One request in flight per connection (HTTP/1.1): a paced connection falls behind its schedule once an answer
# takes longer than its interval (64 connections at 13,000 req/s leave 4.9 ms each, about the group commit's
# 4 ms interval plus the request), so the paced /v1/track runs use enough connections to stay open loop.
record ingest-sustained-track floe "$($FLOE bench ingest --input "$TMP/corpus.ndjson" --batch 0 --rate "$TRACK_RATE" --connections 256 --seconds "$SUSTAINED_SECONDS")"

# Latency at half load (paced, flushes running): /v1/batch of 100 at 500 req/s = 50,000 events/s, and
# /v1/track at half the sustained rate above. Latency counts from each scheduled send.
record ingest-half-batch-100 floe "$($FLOE bench ingest --input "$TMP/corpus.ndjson" --batch 100 --rate 500 --seconds "$SECONDS_PER")"
record ingest-half-track floe "$($FLOE bench ingest --input "$TMP/corpus.ndjson" --batch 0 --rate $(( TRACK_RATE / 2 )) --connections 128 --seconds "$SECONDS_PER")"

# Buffer only (labelled as such): requests back to back with flushing and the backlog refusal turned off
# (--no-flush), so the figure is what the buffer takes in while nothing is committed; not a sustainable rate.
record ingest-track floe "$($FLOE bench ingest --input "$TMP/corpus.ndjson" --batch 0 --no-flush --seconds "$SECONDS_PER")"
for batch in 10 100 500; do
  record "ingest-batch-$batch" floe "$($FLOE bench ingest --input "$TMP/corpus.ndjson" --batch "$batch" --no-flush --seconds "$SECONDS_PER")"
done
record ingest-health floe "$($FLOE bench ingest --input "$TMP/corpus.ndjson" --health --seconds "$SECONDS_PER")"
# Memory with 1,000,000 events buffered (no flush during the run): the server's RSS after the last 200.
record buffered-1m floe "$($FLOE bench ingest --input "$TMP/corpus.ndjson" --batch 500 --events 1000000 --no-flush)"

# The same rates with wrk as the load generator (C, lighter than the Swift client above), at 16, 64 and 128
# connections: /v1/track acknowledges after fsync, so with few requests in flight its rate is bound by the
# group commit's latency, not by CPU. The sustained rate of each endpoint is its best over the sweep.
if command -v wrk >/dev/null; then
  python3 Benchmarks/load/make_bodies.py --batch 100 --count 20000 > "$TMP/wrk-batches.ndjson"
  python3 Benchmarks/load/make_bodies.py --batch 0 --count 2000 > "$TMP/wrk-tracks.ndjson"
  PORT=$(( 20000 + RANDOM % 30000 )); rm -rf "$TMP/wrk-data"
  FLOE_LOG_LEVEL=warning $FLOE serve --port "$PORT" --data-dir "$TMP/wrk-data" &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
  wrk_rate() {  # name, connections, path, bodies (empty: GET /health)
    local out
    if [ -z "$4" ]; then
      out=$(cd Benchmarks/load && wrk -s health.lua -t 2 -c "$2" -d "${SECONDS_PER}s" "http://127.0.0.1:$PORT$3" | tail -1)
    else
      out=$(cd Benchmarks/load && BODIES="$4" wrk -s post_bodies.lua -t 2 -c "$2" -d "${SECONDS_PER}s" "http://127.0.0.1:$PORT$3" | tail -1)
    fi
    record "wrk-$1" floe "${out%\}},\"connections\":$2}"
  }
  for round in 1 2; do
    for connections in 16 64 128; do
      wrk_rate health "$connections" /health ""
      wrk_rate track "$connections" /v1/track "$PWD/$TMP/wrk-tracks.ndjson"
    done
    for connections in 16 64; do
      wrk_rate batch-100 "$connections" /v1/batch "$PWD/$TMP/wrk-batches.ndjson"
    done
  done
  kill $SERVER; wait $SERVER 2>/dev/null || true; trap - EXIT
fi

rm -rf "$TMP"/backfill-data*
$PY Benchmarks/report.py "$LINES" "$OUT"

-- wrk `done` hook shared by the load scripts: one JSON line with the request count, duration, errors and
-- p50/p90/p99 latency, which compare.sh records. Loaded with dofile from the scripts (wrk runs in this folder).
function done(summary, latency, requests)
  io.write(string.format("{\"requests\":%d,\"duration_s\":%.3f,\"errors\":%d,\"non2xx\":%d,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f}\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end

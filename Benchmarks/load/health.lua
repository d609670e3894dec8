-- wrk script: GET /health, reporting the same one-line JSON summary as post_bodies.lua.
function done(summary, latency, requests)
  io.write(string.format("{\"requests\":%d,\"duration_s\":%.3f,\"errors\":%d,\"non2xx\":%d,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f}\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end

import CoreMetrics
import Prometheus

/// The swift-metrics factory `floe serve` bootstraps: Prometheus metrics in one registry, each
/// with the HELP text of ``MetricHelp`` (the stock factory leaves HELP empty, which
/// `promtool check metrics` reports).
struct FloeMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    /// Buckets of timers (`*_seconds` histograms).
    var durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10), .seconds(30),
    ]
    /// Buckets of value histograms (file sizes and row counts).
    var valueBuckets: [Double] = [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000]

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: MetricHelp.descriptor(for: label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: MetricHelp.descriptor(for: label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else {
            return registry.makeGauge(descriptor: MetricHelp.descriptor(for: label), labels: dimensions)
        }
        return registry.makeValueHistogram(descriptor: MetricHelp.descriptor(for: label), labels: dimensions,
                                           buckets: valueBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: MetricHelp.descriptor(for: label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: MetricHelp.descriptor(for: label), labels: dimensions,
                                       buckets: durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? Histogram<Double> { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? Histogram<Duration> { registry.unregisterDurationHistogram(histogram) }
    }
}

/// The HELP text of every metric Floe exports, by name: the one place metrics are described.
enum MetricHelp {
    static let texts: [String: String] = [
        "floe_events_accepted_total": "Events stored in the buffer (acknowledged), by table; table=rejected counts the invalid events stored in the rejected table.",
        "floe_events_deduplicated_total": "Events acknowledged without being stored again (a messageId or CloudEvents source+id seen within the dedup window), by table.",
        "floe_table_data_files": "Live data files of the table after this process's last commit to it (total-data-files of the snapshot).",
        "floe_table_last_commit_timestamp_seconds": "Unix time of this process's last successful commit to the table (0 before the first); alert when it stops advancing while events arrive.",
        "floe_buffer_oldest_event_age_seconds": "Age of the table's oldest event still in the buffer (0 when nothing is buffered): how far behind the lake is.",
        "floe_receipt_to_commit_seconds": "For each committed partition, the time from the receipt of its oldest event to the commit (the freshness of the lake).",
        "floe_maintenance_last_run_timestamp_seconds": "Unix time of the last snapshot-expiry run of floe serve (0 before the first).",
        "floe_instance_info": "Always 1; its instance label is this process's instance id (FLOE_INSTANCE_ID), as recorded in the snapshot summaries it commits.",
        "floe_events_refused_total": "Events in requests that were refused as a whole once read (not JSON, unauthorized, strict batches with an invalid event, or at capacity); nothing of such a request is stored. Bodies refused unread (413, 415, 401 before the body) are counted in floe_http_requests_total by status; a request refused before its body is read for the flush backlog (503) counts as one, its events being unknown.",
        "floe_event_times_adjusted_total": "Events whose time was more than timestamps.max_future_ms ahead of their receipt or before timestamps.floor, stored with their receipt time instead (the time sent is kept).",
        "floe_events_rejected_total": "Invalid events stored in the rejected table while the rest of their request was accepted, by reason (an event with several problems counts once per reason; a retry's copies are not counted; past 200 distinct reasons, as other).",
        "floe_requests_refused_total": "Requests refused because Floe is at capacity (503/507), by reason: backlog, partition_full, buffer_budget, disk_full, buffer_unavailable.",
        "floe_http_requests_total": "HTTP requests answered, by route template, method and status.",
        "floe_http_request_duration_seconds": "Time from receiving a request to answering it, by route template.",
        "floe_flush_duration_seconds": "Time of one flush commit: encoding and uploading its data files, the Iceberg commit and the buffer clean-up.",
        "floe_commit_retries_total": "Iceberg commits attempted again after a conflict (409) or an ambiguous answer.",
        "floe_flush_failures_total": "Flush cycles of a table that failed (the events stay in the buffer and are retried).",
        "floe_storage_errors_total": "Data file uploads that failed.",
        "floe_data_file_bytes": "Size of the Parquet data files written by flushes, in bytes.",
        "floe_data_file_rows": "Rows in the Parquet data files written by flushes.",
        "floe_buffer_events": "Events in the buffer not yet committed to Iceberg, by table.",
        "floe_buffer_bytes": "Payload bytes in the buffer not yet committed to Iceberg, by table.",
        "floe_table_snapshots": "Snapshots in the table's metadata after the last maintenance run, by table.",
        "floe_snapshots_expired_total": "Snapshots expired by the maintenance inside floe serve, by table.",
        "floe_files_compacted_total": "Small data files rewritten into larger ones by the compaction inside floe serve, by table.",
        "floe_orphan_files_deleted_total": "Files no snapshot referenced, deleted by the maintenance inside floe serve, by table.",
    ]

    /// The registry's descriptor of the metric: its whole name as given (no namespace or unit is added) and its
    /// HELP text (every metric Floe defines has one; a test checks it).
    static func descriptor(for name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: texts[name] ?? "Floe metric \(name).")
    }
}

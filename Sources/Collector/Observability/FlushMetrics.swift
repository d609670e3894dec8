import Buffer
import Metrics

/// Flush-side metrics: durations, commit retries and conflicts, file sizes, storage errors and
/// the buffer's size per table.
struct FlushMetrics: Sendable {
    private let duration: Metrics.Timer
    private let commitRetries: Counter
    private let flushFailures: Counter
    private let storageErrors: Counter
    private let fileBytes: Recorder
    private let fileRows: Recorder
    private let bufferedEvents: [String: Gauge]
    private let bufferedBytes: [String: Gauge]
    private let snapshots: [String: Gauge]
    private let expiredSnapshots: [String: Counter]

    init(tables: [String] = TableDefinition.all.map(\.name)) {
        duration = Metrics.Timer(label: "floe_flush_duration_seconds")
        commitRetries = Counter(label: "floe_commit_retries_total")
        flushFailures = Counter(label: "floe_flush_failures_total")
        storageErrors = Counter(label: "floe_storage_errors_total")
        fileBytes = Recorder(label: "floe_data_file_bytes")
        fileRows = Recorder(label: "floe_data_file_rows")
        bufferedEvents = Dictionary(uniqueKeysWithValues: tables.map {
            ($0, Gauge(label: "floe_buffer_events", dimensions: [("table", $0)]))
        })
        bufferedBytes = Dictionary(uniqueKeysWithValues: tables.map {
            ($0, Gauge(label: "floe_buffer_bytes", dimensions: [("table", $0)]))
        })
        snapshots = Dictionary(uniqueKeysWithValues: tables.map {
            ($0, Gauge(label: "floe_table_snapshots", dimensions: [("table", $0)]))
        })
        expiredSnapshots = Dictionary(uniqueKeysWithValues: tables.map {
            ($0, Counter(label: "floe_snapshots_expired_total", dimensions: [("table", $0)]))
        })
    }

    /// Records a maintenance run's result for a table.
    func maintained(table: String, snapshots count: Int, expired: Int) {
        snapshots[table]?.record(count)
        if expired > 0 { expiredSnapshots[table]?.increment(by: expired) }
    }

    func committed(durationNanoseconds: Int64, attempts: Int) {
        duration.recordNanoseconds(durationNanoseconds)
        if attempts > 1 { commitRetries.increment(by: attempts - 1) }
    }

    func failed() { flushFailures.increment() }
    func storageError() { storageErrors.increment() }

    func wroteFile(bytes: Int, rows: Int) {
        fileBytes.record(bytes)
        fileRows.record(rows)
    }

    /// Publishes the buffer's per-table totals.
    func observe(_ stats: [PartitionID: PartitionStats]) {
        var events: [String: Int] = [:], bytes: [String: Int] = [:]
        for (partition, value) in stats {
            events[partition.table, default: 0] += value.count
            bytes[partition.table, default: 0] += value.bytes
        }
        for (table, gauge) in bufferedEvents { gauge.record(events[table] ?? 0) }
        for (table, gauge) in bufferedBytes { gauge.record(bytes[table] ?? 0) }
    }
}

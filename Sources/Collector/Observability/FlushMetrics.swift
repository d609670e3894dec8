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
    private let compactedFiles: [String: Counter]
    private let orphanFiles: [String: Counter]
    private let dataFiles: [String: Gauge]
    private let lastCommit: [String: Gauge]
    private let oldestBuffered: [String: Gauge]
    private let receiptToCommit: [String: Metrics.Timer]
    private let lastMaintenance: Gauge

    init(tables: [String] = TableDefinition.all.map(\.name)) {
        duration = Metrics.Timer(label: "floe_flush_duration_seconds")
        commitRetries = Counter(label: "floe_commit_retries_total")
        flushFailures = Counter(label: "floe_flush_failures_total")
        storageErrors = Counter(label: "floe_storage_errors_total")
        fileBytes = Recorder(label: "floe_data_file_bytes")
        fileRows = Recorder(label: "floe_data_file_rows")
        bufferedEvents = Self.perTable(tables, "floe_buffer_events") { Gauge(label: $0, dimensions: $1) }
        bufferedBytes = Self.perTable(tables, "floe_buffer_bytes") { Gauge(label: $0, dimensions: $1) }
        snapshots = Self.perTable(tables, "floe_table_snapshots") { Gauge(label: $0, dimensions: $1) }
        expiredSnapshots = Self.perTable(tables, "floe_snapshots_expired_total") { Counter(label: $0, dimensions: $1) }
        compactedFiles = Self.perTable(tables, "floe_files_compacted_total") { Counter(label: $0, dimensions: $1) }
        orphanFiles = Self.perTable(tables, "floe_orphan_files_deleted_total") { Counter(label: $0, dimensions: $1) }
        dataFiles = Self.perTable(tables, "floe_table_data_files") { Gauge(label: $0, dimensions: $1) }
        lastCommit = Self.perTable(tables, "floe_table_last_commit_timestamp_seconds") { Gauge(label: $0, dimensions: $1) }
        oldestBuffered = Self.perTable(tables, "floe_buffer_oldest_event_age_seconds") { Gauge(label: $0, dimensions: $1) }
        receiptToCommit = Self.perTable(tables, "floe_receipt_to_commit_seconds") { Metrics.Timer(label: $0, dimensions: $1) }
        lastMaintenance = Gauge(label: "floe_maintenance_last_run_timestamp_seconds")
    }

    /// One metric per table, labelled with the table's name.
    private static func perTable<M>(_ tables: [String], _ label: String,
                                    _ make: (String, [(String, String)]) -> M) -> [String: M] {
        Dictionary(uniqueKeysWithValues: tables.map { ($0, make(label, [("table", $0)])) })
    }

    /// A commit to `table`: when, the table's size after it, and for each committed partition the
    /// time from the receipt of its oldest event to now.
    func tableCommitted(_ table: String, atMicros now: Int64, snapshots count: Int, dataFiles files: Int?,
                        oldestReceivedAt: [Int64]) {
        lastCommit[table]?.record(Double(now) / 1_000_000)
        snapshots[table]?.record(count)
        if let files { dataFiles[table]?.record(files) }
        for received in oldestReceivedAt { receiptToCommit[table]?.recordMicroseconds(max(0, now - received)) }
    }

    /// A maintenance run finished (at `micros` since the epoch).
    func maintenanceRan(atMicros micros: Int64) {
        lastMaintenance.record(Double(micros) / 1_000_000)
    }

    /// Records a maintenance run's result for a table.
    func maintained(table: String, snapshots count: Int, expired: Int) {
        snapshots[table]?.record(count)
        if expired > 0 { expiredSnapshots[table]?.increment(by: expired) }
    }

    /// A compaction of `table` rewrote `removed` small data files, leaving `dataFiles` in the table.
    func compacted(table: String, removed: Int, dataFiles files: Int?) {
        if removed > 0 { compactedFiles[table]?.increment(by: removed) }
        if let files { dataFiles[table]?.record(files) }
    }

    /// Orphan files deleted from under `table`'s location.
    func orphansDeleted(table: String, count: Int) {
        if count > 0 { orphanFiles[table]?.increment(by: count) }
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

    /// Publishes the buffer's per-table totals and the age of each table's oldest buffered event.
    func observe(_ stats: [PartitionID: PartitionStats], nowMicros: Int64) {
        var events: [String: Int] = [:], bytes: [String: Int] = [:], oldest: [String: Int64] = [:]
        for (partition, value) in stats {
            events[partition.table, default: 0] += value.count
            bytes[partition.table, default: 0] += value.bytes
            if value.count > 0 { oldest[partition.table] = min(oldest[partition.table] ?? .max, value.oldestReceivedAt) }
        }
        for (table, gauge) in bufferedEvents { gauge.record(events[table] ?? 0) }
        for (table, gauge) in bufferedBytes { gauge.record(bytes[table] ?? 0) }
        for (table, gauge) in oldestBuffered {
            gauge.record(oldest[table].map { Double(max(0, nowMicros - $0)) / 1_000_000 } ?? 0)
        }
    }
}

import Buffer
import Foundation
import Parquet

/// When and how buffered partitions become data files.
package struct FlushSettings: Sendable {
    /// Flush a partition when it holds this many events; also the most rows per data file. Default 2000.
    package var bufferSize: Int = 2000
    /// Flush a partition when its oldest event is this old, in milliseconds. Default 30 s.
    var bufferTimeoutMs: Int = 30_000
    /// Least time from the start of one scheduled flush cycle to the next, in milliseconds (each cycle
    /// commits at most one snapshot per table); 0 runs cycles back to back. Default 1,000.
    var commitIntervalMs: Int = 1_000
    /// Most rows taken from one partition in one cycle (split into files of `bufferSize`). Default 50,000.
    var maxRowsPerCycle: Int = 50_000
    /// Most rows one cycle takes over all partitions of a table; bounds a flush's memory (a backlog
    /// after an outage becomes several commits). Default 50,000.
    var maxRowsPerCycleTotal: Int = 50_000
    var parquet = WriterOptions()
    /// Properties given to tables Floe creates.
    var tableProperties: [String: String] = [:]
    /// Recorded as `floe.instance-id` in every snapshot this process commits (nil: not recorded).
    var instanceId: String?
    /// Where the tables are (``FloeConfiguration/tablesTarget()``), recorded in each flush intent: a pending
    /// intent is settled only where it was recorded (nil: not checked).
    var target: String?
    /// Data files encoded and uploaded at once; default: the number of cores.
    var parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount)

    package init() {}
}

extension FlushSettings {
    /// Whether a partition is due for a flush: at `bufferSize` events or with its oldest event
    /// `bufferTimeoutMs` old.
    func isDue(_ stats: PartitionStats, nowMicros: Int64) -> Bool {
        stats.count >= bufferSize || nowMicros - stats.oldestReceivedAt >= Int64(bufferTimeoutMs) * 1000
    }

    /// How long the scheduler waits before its next cycle, `sinceLastCycle` after the last one started
    /// with `due` events due now; nil runs it at once.
    ///
    /// Under a sustained load partitions reach `bufferSize` faster than a cycle takes, and cycles back
    /// to back would commit several snapshots a second per table: each rewrites the table's metadata
    /// file and is one more snapshot to expire, and a catalog serializes commits per table
    /// (docs/scaling.md). Waiting for `commitIntervalMs` lets one cycle commit what several would,
    /// in data files of `bufferSize` rows as before. It does not wait when the flush is behind
    /// (``isBehind(dueEvents:)``): waiting would only let the backlog grow.
    func waitBeforeCycle(due: Int, sinceLastCycle: Duration?) -> Duration? {
        guard commitIntervalMs > 0, due > 0, !isBehind(dueEvents: due), let sinceLastCycle else { return nil }
        let interval = Duration.milliseconds(commitIntervalMs)
        return sinceLastCycle < interval ? interval - sinceLastCycle : nil
    }

    /// Whether more events are due than one cycle takes (`maxRowsPerCycleTotal`): the flush is behind,
    /// so cycles run back to back and encode at the requests' priority.
    func isBehind(dueEvents: Int) -> Bool { dueEvents > maxRowsPerCycleTotal }

    /// Events in partitions that are due for a flush.
    func dueEvents(in stats: [PartitionID: PartitionStats], nowMicros: Int64) -> Int {
        stats.values.reduce(0) { $0 + (isDue($1, nowMicros: nowMicros) ? $1.count : 0) }
    }
}

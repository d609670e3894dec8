import Buffer
import Foundation
import Parquet

/// When and how buffered partitions become data files.
package struct FlushSettings: Sendable {
    /// Flush a partition when it holds this many events; also the most rows per data file. Default 2000.
    package var bufferSize: Int = 2000
    /// Flush a partition when its oldest event is this old, in milliseconds. Default 30 s.
    var bufferTimeoutMs: Int = 30_000
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

    /// Events in partitions that are due for a flush.
    func dueEvents(in stats: [PartitionID: PartitionStats], nowMicros: Int64) -> Int {
        stats.values.reduce(0) { $0 + (isDue($1, nowMicros: nowMicros) ? $1.count : 0) }
    }
}

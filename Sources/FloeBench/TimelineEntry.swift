import Collector
import Foundation

/// One request of an ingest run, for `floe bench ingest --timeline`: when it was sent (its scheduled
/// time when paced), how long its answer took and its status, so that stalls can be lined up with
/// the server's flush log.
struct TimelineEntry: Sendable {
    /// Microseconds from the start of the run.
    var sentMicros: Int64
    var latencyMicros: Int64
    var status: Int

    /// Writes the entries sorted by send time as TSV (`sent_ms`, `latency_ms`, `status`), after a comment
    /// line with the run's start in Unix milliseconds (to match the server log's timestamps).
    static func write(_ entries: [TimelineEntry], startedAt: Date, to path: String) throws {
        var lines = ["sent_ms\tlatency_ms\tstatus"]
        for entry in entries.sorted(by: { $0.sentMicros < $1.sentMicros }) {
            lines.append(String(format: "%.1f\t%.3f\t%d", Double(entry.sentMicros) / 1000, Double(entry.latencyMicros) / 1000,
                                entry.status))
        }
        try writeTSV(lines, startedAt: startedAt, to: path)
    }

    /// Writes TSV lines after a comment line with the run's start in Unix milliseconds: the form of
    /// `--timeline` and `--cpu-timeline` files.
    static func writeTSV(_ lines: [String], startedAt: Date, to path: String) throws {
        var text = String(format: "# started_at_unix_ms %.0f\n", startedAt.timeIntervalSince1970 * 1000)
        for line in lines { text += line + "\n" }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw ConfigurationError(message: "cannot write \(path)")
        }
    }
}

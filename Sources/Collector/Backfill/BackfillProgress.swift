import Foundation
import Logging

/// A progress bar on a terminal, or a log line every few seconds otherwise (in the log's format: JSON lines stay JSON).
struct BackfillProgress {
    var totalBytes: Int64 = 0
    /// The bytes of the files finished (or skipped as complete).
    var doneBytes: Int64 = 0
    /// The bytes read of the file being read, so that one large file shows progress and an ETA too.
    var currentFileBytes: Int64 = 0
    private let started = Date()
    private var lastReport = Date.distantPast
    private var ticks = 0

    mutating func tick(summary: BackfillSummary, bar: Bool, lines: Int, logger: Logger) {
        ticks += lines
        let now = Date()
        let interval: TimeInterval = bar ? 0.25 : 5
        guard now.timeIntervalSince(lastReport) >= interval else { return }
        lastReport = now
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(summary.events) / elapsed : 0
        let fraction = totalBytes > 0 ? min(1, Double(doneBytes + currentFileBytes) / Double(totalBytes)) : 0
        let eta = fraction > 0.01 ? Self.clock(elapsed * (1 - fraction) / fraction) : "?"
        if bar {
            let text = "files \(summary.inputFiles) events \(summary.events) (\(Int(rate))/s) rejects \(summary.rejected) ETA \(eta)"
            let width = 24
            let filled = Int(fraction * Double(width))
            let line = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] " + text
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            logger.info("backfill progress", metadata: [
                "floe.files": "\(summary.inputFiles)", "floe.events": "\(summary.events)",
                "floe.events_per_s": "\(Int(rate))", "floe.rejected": "\(summary.rejected)", "floe.eta": "\(eta)",
            ])
        }
    }

    func finish(bar: Bool) {
        if bar { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", total / 3600, (total / 60) % 60, total % 60)
    }
}

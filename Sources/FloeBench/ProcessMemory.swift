import Collector
import Foundation

/// Resident memory of a process, from `/proc/{pid}/status` (Linux): total, anonymous (heap) and
/// file-backed (mapped files such as SQLite's mmap of `buffer.db`).
struct ProcessMemory: Sendable {
    var rssMB: Double
    var anonymousMB: Double
    var fileMB: Double

    /// Nil when the file cannot be read (not Linux, or the process is gone).
    init?(pid: Int32) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var fields: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            if parts.count >= 2, let kilobytes = Double(parts[1]) { fields[String(parts[0])] = kilobytes / 1024 }
        }
        guard let rss = fields["VmRSS"] else { return nil }
        rssMB = rss
        anonymousMB = fields["RssAnon"] ?? 0
        fileMB = (fields["RssFile"] ?? 0) + (fields["RssShmem"] ?? 0)
    }
}

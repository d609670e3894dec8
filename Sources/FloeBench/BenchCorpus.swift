import Collector
import Buffer
import Foundation
import FloeSupport

/// Events of an NDJSON corpus file, normalized in memory for the benchmarks (not timed).
struct BenchCorpus {
    var events: EventBatch
    var table: TableDefinition

    /// Reads and normalizes every line; event time is the recorded `timestamp` (historical mode).
    init(path: String, format: LineNormalizer.Format) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(message: "cannot read \(path)")
        }
        let bytes = [UInt8](data)
        let normalizer = LineNormalizer(format: format)
        let request = IngestContext(receivedAt: WallClock.nowMicros(), clientIP: nil, historical: true)
        var events = EventBatch()
        var start = 0
        var lineNumber = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            lineNumber += 1
            if end > start {
                switch normalizer.normalize(Array(bytes[start..<end]), request: request) {
                case .success(let lineEvents): events.append(contentsOf: lineEvents)
                case .failure(let errors):
                    throw ConfigurationError(message: "\(path):\(lineNumber): \(errors.issues.map(\.description).joined(separator: "; "))")
                }
            }
            start = end + 1
        }
        self.events = events
        table = format == .segment ? .events : .cloudEvents
    }
}

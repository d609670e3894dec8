import Buffer
import Logging

/// Per-line work of a backfill: format detection, normalization, rejects and counters.
struct RunContext {
    let options: BackfillOptions
    var rejects: RejectsLog
    let logger: Logger
    var summary = BackfillSummary()
    var progress = BackfillProgress()
    /// Re-reading a pending unit's lines: rows are rebuilt, but counters and rejects were already taken.
    var countOnly = false

    init(options: BackfillOptions, rejects: RejectsLog, logger: Logger) {
        self.options = options
        self.rejects = rejects
        self.logger = logger
    }

    private static let segment = LineNormalizer(format: .segment)
    private static let cloudEvents = LineNormalizer(format: .cloudevents)
    private static let marker = Array("\"specversion\"".utf8)

    /// Normalizes one line into the unit, or records it as rejected.
    mutating func take(_ line: ArraySlice<UInt8>, file: String, lineNumber: Int64, receivedAt: Int64,
                       into builder: inout BackfillUnitBuilder) throws {
        if !countOnly { summary.lines += 1 }
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        let bytes = Array(line)
        let normalizer: LineNormalizer
        switch options.format {
        case "segment": normalizer = Self.segment
        case "cloudevents": normalizer = Self.cloudEvents
        default: normalizer = Self.contains(bytes, Self.marker) ? Self.cloudEvents : Self.segment
        }
        let request = IngestContext(receivedAt: receivedAt, clientIP: nil, historical: true)
        switch normalizer.normalize(bytes, request: request) {
        case .success(let events):
            for event in events where !options.dryRun { try builder.add(event) }
            if !countOnly { summary.events += events.count }
        case .failure(let errors):
            guard !countOnly else { return }
            summary.rejected += 1
            try rejects.write(file: file, line: lineNumber + 1, reasons: errors.issues.map(\.description))
            if let maxErrors = options.maxErrors, summary.rejected > maxErrors {
                throw BackfillRunner.TooManyErrors(rejected: summary.rejected, rejectsPath: rejects.path)
            }
        }
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return true }
            }
            index += 1
        }
        return false
    }
}

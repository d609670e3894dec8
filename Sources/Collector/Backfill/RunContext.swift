import Buffer
import Foundation
import Logging

/// Per-line work of a backfill: format detection, normalization, rejects and counters.
struct RunContext {
    let options: BackfillOptions
    var rejects: RejectsLog
    let logger: Logger
    var summary = BackfillSummary()
    var progress = BackfillProgress()

    init(options: BackfillOptions, rejects: RejectsLog, logger: Logger) {
        self.options = options
        self.rejects = rejects
        self.logger = logger
    }

    /// What one input line became (its rows are in the batch's partial unit).
    enum Outcome: Sendable {
        case blank
        case events(Int)
        case rejected([String])
    }

    private static let segment = LineNormalizer(format: .segment)
    private static let cloudEvents = LineNormalizer(format: .cloudevents)
    private static let marker = Array("\"specversion\"".utf8)

    /// Where rejected lines also go as rows of the `rejected` table (`--rejects-table`).
    struct RejectsTable: Sendable {
        var path: String
        /// Line number (0-based) of the first line passed to ``BackfillWorker/submit(_:to:format:receivedAt:dryRun:rejects:)``.
        var firstLine: Int64
        var maxEventBytes: Int

        /// The same table for lines that start `offset` lines later.
        func starting(at offset: Int) -> RejectsTable {
            RejectsTable(path: path, firstLine: firstLine + Int64(offset), maxEventBytes: maxEventBytes)
        }
    }

    /// Normalizes `lines` into `partial` (one worker's rows); returns each line's outcome, in line order.
    static func normalize(_ lines: LineBatch, into partial: inout BackfillUnitBuilder, format: String,
                                  receivedAt: Int64, dryRun: Bool, rejects: RejectsTable?) throws -> [Outcome] {
        let request = IngestContext(receivedAt: receivedAt, clientIP: nil, historical: true)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(lines.count)
        var entries: [JSONTape.Entry] = []
        for position in 0..<lines.count {
            let bytes = lines[position]
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else {
                outcomes.append(.blank)
                continue
            }
            let normalizer: LineNormalizer
            switch format {
            case "segment": normalizer = segment
            case "cloudevents": normalizer = cloudEvents
            default: normalizer = contains(bytes, marker) ? cloudEvents : segment
            }
            let events: Int
            let problems: ValidationErrors?
            if dryRun {
                var counted = CountedEvents()
                problems = normalizer.validate(bytes, request: request, reusing: &entries, into: &counted)
                events = counted.count
            } else {
                let before = partial.events
                problems = try normalizer.validate(bytes, request: request, reusing: &entries, into: &partial)
                events = partial.events - before
            }
            if let errors = problems {
                outcomes.append(.rejected(errors.issues.map(\.description)))
                if let rejects, !dryRun {
                    let line = rejects.firstLine + Int64(position)
                    let context = IngestContext(receivedAt: receivedAt, clientIP: nil, historical: true, route: "backfill",
                                                requestId: "\(rejects.path):\(line + 1)")
                    let rejected = RejectedEvent(format: normalizer.format.rawValue, index: nil, raw: bytes,
                                                 reasons: errors.issues.map(\.reason))
                    try partial.add(rejected, request: context, maxEventBytes: rejects.maxEventBytes)
                }
            } else {
                outcomes.append(.events(events))
            }
        }
        return outcomes
    }

    /// Counts one line's outcome, or records it as rejected.
    mutating func apply(_ outcome: Outcome, file: String, lineNumber: Int64) throws {
        summary.lines += 1
        switch outcome {
        case .blank:
            return
        case .events(let count):
            summary.events += count
        case .rejected(let reasons):
            summary.rejected += 1
            try rejects.write(file: file, line: lineNumber + 1, reasons: reasons)
            if let maxErrors = options.maxErrors, summary.rejected > maxErrors {
                throw BackfillRunner.TooManyErrors(rejected: summary.rejected, rejectsPath: rejects.path)
            }
        }
    }

    static func looksLikeCloudEvents(_ line: ArraySlice<UInt8>) -> Bool {
        contains(line, marker)
    }

    private static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBufferPointer { hay in
            guard let base = hay.baseAddress else { return false }
            var index = 0
            let last = hay.count - needle.count
            while index <= last {
                // memchr finds candidate first bytes quickly; compare the rest in place.
                guard let found = memchr(base + index, Int32(first), last - index + 1) else { return false }
                index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + index, needle, needle.count) == 0 { return true }
                index += 1
            }
            return false
        }
    }
}

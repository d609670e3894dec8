import Buffer
import Foundation
import Logging

/// Per-line work of a backfill: format detection, normalization, rejects and counters.
struct RunContext {
    let options: BackfillOptions
    /// The configuration's privacy rules, applied as over HTTP (nil: none).
    let privacy: PrivacyRules?
    var rejects: RejectsLog
    let logger: Logger
    var summary = BackfillSummary()
    /// The summary as of the last unit committed: what a run that stops early has stored.
    var committed = BackfillSummary()
    var progress = BackfillProgress()

    init(options: BackfillOptions, privacy: PrivacyRules?, rejects: RejectsLog, logger: Logger) {
        self.options = options
        self.privacy = privacy
        self.rejects = rejects
        self.logger = logger
    }

    /// What one input line became (its rows are in the batch's partial unit).
    enum Outcome: Sendable {
        case blank
        case events(Int)
        /// Some or all of the line's events were rejected (`events` were stored), each reason once.
        case rejected(events: Int, reasons: [String])
    }

    private static let segment = LineNormalizer(format: .segment)
    private static let cloudEvents = LineNormalizer(format: .cloudevents)
    private static let byLine = LineNormalizer(format: nil)

    /// Where rejected lines also go as rows of the `rejected` table (`--rejects-table`).
    struct RejectsTable: Sendable {
        var path: String
        /// Line number (0-based) of the first line passed to ``BackfillWorker/submit(_:to:format:receivedAt:privacy:dryRun:rejects:)``.
        var firstLine: Int64
        var maxEventBytes: Int

        /// The same table for lines that start `offset` lines later.
        func starting(at offset: Int) -> RejectsTable {
            RejectsTable(path: path, firstLine: firstLine + Int64(offset), maxEventBytes: maxEventBytes)
        }
    }

    /// Normalizes `lines` into `partial` (one worker's rows); returns each line's outcome, in line order.
    /// `privacy` applies as on the HTTP path: to the rows, and to the events recorded in the `rejected` table.
    static func normalize(_ lines: LineBatch, into partial: inout BackfillUnitBuilder, format: String,
                          receivedAt: Int64, privacy: PrivacyRules?, dryRun: Bool, rejects: RejectsTable?) throws -> [Outcome] {
        let request = IngestContext(receivedAt: receivedAt, clientIP: nil, historical: true, privacy: privacy)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(lines.count)
        var entries: [JSONTape.Entry] = []
        for position in 0..<lines.count {
            var bytes = lines[position]
            // A UTF-8 byte order mark (editors put one at a file's start) is not part of the JSON.
            if bytes.starts(with: JSONTape.byteOrderMark) { bytes = bytes.dropFirst(JSONTape.byteOrderMark.count) }
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else {
                outcomes.append(.blank)
                continue
            }
            let normalizer: LineNormalizer
            switch format {
            case "segment": normalizer = segment
            case "cloudevents": normalizer = cloudEvents
            default: normalizer = byLine
            }
            let events: Int
            let rejected: [LineNormalizer.Rejected]
            if dryRun {
                var counted = CountedEvents()
                rejected = normalizer.validate(bytes, request: request, reusing: &entries, into: &counted)
                events = counted.count
            } else {
                let before = partial.events
                rejected = try normalizer.validate(bytes, request: request, reusing: &entries, into: &partial)
                events = partial.events - before
            }
            guard !rejected.isEmpty else {
                outcomes.append(.events(events))
                continue
            }
            outcomes.append(.rejected(events: events, reasons: rejected.flatMap { $0.errors.issues.map(\.description) }))
            if let rejects, !dryRun {
                let line = rejects.firstLine + Int64(position)
                let context = IngestContext(receivedAt: receivedAt, clientIP: nil, historical: true, route: "backfill",
                                            requestId: "\(rejects.path):\(line + 1)", privacy: privacy)
                for part in rejected {
                    // As over HTTP, the privacy rules apply to the Segment events the `rejected` table records, and
                    // their `writeKey` is left out; a line they cannot be applied to is recorded by its reasons alone.
                    let raw = (privacy ?? .noRules).recorded(json: part.raw, isSegment: part.format == .segment)
                    let event = RejectedEvent(format: part.format.rawValue, index: part.index, raw: raw,
                                              sent: part.raw, reasons: part.errors.issues.map(\.reason))
                    try partial.add(event, request: context, maxEventBytes: rejects.maxEventBytes)
                }
            }
        }
        return outcomes
    }

    /// Counts one line's outcome, and records it when rejected.
    mutating func apply(_ outcome: Outcome, file: String, lineNumber: Int64) throws {
        count(outcome)
        guard case .rejected(_, let reasons) = outcome else { return }
        try rejects.write(file: file, line: lineNumber + 1, reasons: reasons)
        if let maxErrors = options.maxErrors, summary.rejected > maxErrors {
            // A dry run commits nothing: its counts are those read until the stop.
            var stored = summary.dryRun ? summary : committed
            stored.inputFiles = summary.inputFiles
            stored.skippedFiles = summary.skippedFiles
            stored.dryRun = summary.dryRun
            throw BackfillRunner.TooManyErrors(rejected: summary.rejected, rejectsPath: rejects.path, committed: stored)
        }
    }

    /// Counts one line's outcome in the summary.
    mutating func count(_ outcome: Outcome) {
        summary.lines += 1
        switch outcome {
        case .blank:
            break
        case .events(let count):
            summary.events += count
        case .rejected(let events, _):
            summary.events += events
            summary.rejected += 1
        }
    }
}

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

    /// A batch of lines normalized and decoded into columns, off the sequential path.
    struct Batch: Sendable {
        var outcomes: [Outcome] = []
        var partial: BackfillUnitBuilder
    }

    private static let segment = LineNormalizer(format: .segment)
    private static let cloudEvents = LineNormalizer(format: .cloudevents)
    private static let marker = Array("\"specversion\"".utf8)

    /// Where rejected lines also go as rows of the `rejected` table (`--rejects-table`).
    struct RejectsTable: Sendable {
        var path: String
        /// Line number (0-based) of the first line passed to ``normalize(_:format:receivedAt:targetFileRows:dryRun:rejects:)``.
        var firstLine: Int64
        var maxEventBytes: Int
    }

    /// Normalizes and decodes lines on every core; each worker's slice comes back as one batch,
    /// in line order. Pure: no counters touched.
    static func normalize(_ lines: [[UInt8]], format: String, receivedAt: Int64, targetFileRows: Int,
                          dryRun: Bool, rejects: RejectsTable? = nil) async throws -> [Batch] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, lines.count / 512))
        let size = max(1, (lines.count + workers - 1) / workers)
        return try await withThrowingTaskGroup(of: (Int, Batch).self) { group in
            for worker in 0..<workers {
                let slice = lines[min(lines.count, worker * size)..<min(lines.count, (worker + 1) * size)]
                group.addTask {
                    (worker, try normalize(slice, format: format, receivedAt: receivedAt, targetFileRows: targetFileRows,
                                           dryRun: dryRun, rejects: rejects))
                }
            }
            var parts = [Batch?](repeating: nil, count: workers)
            for try await (worker, batch) in group { parts[worker] = batch }
            return parts.compactMap { $0 }
        }
    }

    private static func normalize(_ lines: ArraySlice<[UInt8]>, format: String, receivedAt: Int64,
                                  targetFileRows: Int, dryRun: Bool, rejects: RejectsTable?) throws -> Batch {
        let request = IngestContext(receivedAt: receivedAt, clientIP: nil, historical: true)
        var batch = Batch(partial: BackfillUnitBuilder(targetFileRows: targetFileRows))
        batch.outcomes.reserveCapacity(lines.count)
        for (position, bytes) in zip(lines.indices, lines) {
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else {
                batch.outcomes.append(.blank)
                continue
            }
            let normalizer: LineNormalizer
            switch format {
            case "segment": normalizer = segment
            case "cloudevents": normalizer = cloudEvents
            default: normalizer = contains(bytes, marker) ? cloudEvents : segment
            }
            switch normalizer.validate(bytes, request: request) {
            case .success(let events):
                if !dryRun { for event in events { try batch.partial.add(event) } }
                batch.outcomes.append(.events(events.count))
            case .failure(let errors):
                batch.outcomes.append(.rejected(errors.issues.map(\.description)))
                if let rejects, !dryRun {
                    let line = rejects.firstLine + Int64(position)
                    let context = IngestContext(receivedAt: receivedAt, clientIP: nil, historical: true, route: "backfill",
                                                requestId: "\(rejects.path):\(line + 1)")
                    let rejected = RejectedEvent(format: normalizer.format.rawValue, index: nil, raw: bytes[...],
                                                 reasons: errors.issues.map(\.reason))
                    try batch.partial.add(rejected, request: context, maxEventBytes: rejects.maxEventBytes)
                }
            }
        }
        return batch
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

    static func looksLikeCloudEvents(_ line: [UInt8]) -> Bool {
        contains(line, marker)
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
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

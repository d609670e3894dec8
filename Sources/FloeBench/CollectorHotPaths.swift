import Collector
import Buffer
import Foundation

/// Rows of the `events` table as the buffer stores them, for the benchmark package
/// (`Benchmarks/HotPaths`), reached with `@_spi(Benchmarks) import FloeBench`.
@_spi(Benchmarks) public struct EncodedRowSample: Sendable {
    let table = TableDefinition.events
    let lines: [[UInt8]]
    let rows: [[UInt8]]
    private let normalizer = LineNormalizer(format: .segment)
    private let request = IngestContext(receivedAt: 1_790_000_000_000_000, clientIP: nil, historical: true)

    /// Normalizes Segment messages (one JSON object per element) into buffered rows (untimed setup).
    public init(segmentLines: [String]) throws {
        lines = segmentLines.map { Array($0.utf8) }
        var rows: [[UInt8]] = []
        for line in lines {
            switch normalizer.normalize(line, request: request) {
            case .success(let events): rows += (0..<events.count).map { Array(events.row($0)) }
            case .failure(let errors):
                throw ConfigurationError(message: errors.issues.map(\.description).joined(separator: "; "))
            }
        }
        self.rows = rows
    }

    public var count: Int { rows.count }

    /// Decodes every row into Parquet column buffers — a flush's first step; returns the row count.
    public func decode() throws -> Int {
        var decoder = RowBatchDecoder(table: table, expectedRows: rows.count)
        for row in rows { try decoder.append(row) }
        return decoder.columns().count == table.columns.count ? decoder.rowCount : 0
    }

    /// Parses, validates and normalizes every line again — the ingest path's work per event; returns the events.
    public func normalize() -> Int {
        var count = 0
        for line in lines {
            if case .success(let events) = normalizer.normalize(line, request: request) { count += events.count }
        }
        return count
    }

    /// Parses, validates and writes every line straight into column buffers — backfill's work per event;
    /// returns the rows written.
    public func normalizeIntoColumns() throws -> Int {
        var unit = BackfillUnitBuilder(targetFileRows: lines.count)
        for line in lines { _ = try unit.add(line: line, normalizer: normalizer, request: request) }
        return unit.events
    }
}

import Foundation
import Parquet
import Testing

/// Writes sample files for `Fixtures/check_fixtures.py` when `FLOE_PARQUET_FIXTURE_DIR` is set.
@Suite("Reader fixtures")
struct ReaderFixtureTests {
    struct Fixture: Sendable, CustomStringConvertible {
        var name: String
        var rows: Int
        var codec: CompressionCodec
        var rowGroupSize: Int = WriterOptions.defaultRowGroupSize
        var dictionaryPageSizeLimit: Int = 1 << 20
        var dataPageSize: Int = 1 << 20
        var description: String { name }
    }

    static let fixtures: [Fixture] = [
        Fixture(name: "types_uncompressed", rows: 1000, codec: .uncompressed),
        Fixture(name: "types_snappy", rows: 1000, codec: .snappy),
        Fixture(name: "types_zstd", rows: 1000, codec: .zstd(level: 1)),
        Fixture(name: "types_zstd9", rows: 1000, codec: .zstd(level: 9)),
        Fixture(name: "types_gzip", rows: 1000, codec: .gzip),
        Fixture(name: "one_row", rows: 1, codec: .zstd(level: 1)),
        Fixture(name: "zero_rows", rows: 0, codec: .zstd(level: 1)),
        Fixture(name: "many_rows", rows: 100_000, codec: .zstd(level: 1)),
        Fixture(name: "row_groups", rows: 25_000, codec: .snappy, rowGroupSize: 10_000),
        Fixture(name: "dictionary_over_limit", rows: 30_000, codec: .zstd(level: 1), dictionaryPageSizeLimit: 200),
        Fixture(name: "small_pages", rows: 5000, codec: .uncompressed, dataPageSize: 512),
    ]

    @Test("writes reader fixtures with their expected values", arguments: fixtures)
    func writeFixture(_ fixture: Fixture) throws {
        guard let directory = ProcessInfo.processInfo.environment["FLOE_PARQUET_FIXTURE_DIR"] else { return }
        let table = SampleTable.make(rows: fixture.rows)
        var options = WriterOptions()
        options.codec = fixture.codec
        options.rowGroupSize = fixture.rowGroupSize
        options.dictionaryPageSizeLimit = fixture.dictionaryPageSizeLimit
        options.dataPageSize = fixture.dataPageSize
        options.keyValueMetadata = [(key: "floe.fixture", value: fixture.name)]
        let file = try ParquetFileWriter.write(schema: table.schema, columns: table.columns,
                                               rowCount: table.rowCount, options: options)
        let base = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try Data(file.bytes).write(to: base.appendingPathComponent("\(fixture.name).parquet"))

        var summaries: [[String: Any]] = []
        for column in file.columns {
            summaries.append([
                "path": column.path, "field_id": column.fieldId.map { Int($0) } as Any,
                "value_count": column.valueCount, "null_count": column.nullCount,
                "compressed_size": column.compressedSize,
                "min": column.minValue.map { $0.map { String(format: "%02x", $0) }.joined() } as Any,
                "max": column.maxValue.map { $0.map { String(format: "%02x", $0) }.joined() } as Any,
            ])
        }
        let document: [String: Any] = [
            "rows": table.rowCount,
            "columns": table.expected.mapValues { $0.map(jsonable) },
            "summaries": summaries,
        ]
        let json = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        try json.write(to: base.appendingPathComponent("\(fixture.name).json"))
    }
}

/// Replaces nils, at any depth, with `NSNull` so that `JSONSerialization` accepts the value.
private func jsonable(_ value: Any?) -> Any {
    guard let value else { return NSNull() }
    if let array = value as? [Any?] { return array.map(jsonable) }
    return value
}

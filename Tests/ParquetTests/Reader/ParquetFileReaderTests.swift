@testable import Parquet
import Testing

@Suite("ParquetFileReader")
struct ParquetFileReaderTests {
    static let codecs: [CompressionCodec] = [.uncompressed, .snappy, .gzip, .zstd(level: 1), .zstd(level: 9)]

    /// Several row groups and several pages per chunk.
    static func smallOptions(_ codec: CompressionCodec) -> WriterOptions {
        var options = WriterOptions()
        options.codec = codec
        options.rowGroupSize = 700
        options.dataPageSize = 2048
        options.maxRowsPerPage = 250
        options.maxThreads = 1
        return options
    }

    static func expectTable(_ reader: ParquetFileReader, _ table: ReaderTestTable) throws {
        #expect(reader.rowCount == table.rows)
        #expect(reader.columnNames == table.schema.fields.map(\.name))
        for (name, expected) in table.int64s {
            let values = try reader.int64s(name)
            #expect(values.count == expected.count, "\(name)")
            #expect(values == expected, "\(name)")
        }
        for (name, expected) in table.byteArrays {
            let values = try reader.byteArrays(name)
            #expect(values.count == expected.count, "\(name)")
            #expect(values == expected, "\(name)")
        }
    }

    @Test("every column round-trips through several row groups and pages", arguments: codecs)
    func roundTrip(codec: CompressionCodec) throws {
        let table = ReaderTestTable.make(rows: 2000)
        let reader = try ParquetFileReader(bytes: table.write(Self.smallOptions(codec)))
        try Self.expectTable(reader, table)

        let event = try PageSurvey(reader, column: "event")
        #expect(event.rowGroups == 3)
        #expect(event.dictionaryPages == 3 && event.dictionaryDataPages > 3 && event.plainDataPages == 0)
        let user = try PageSurvey(reader, column: "user")
        #expect(user.dictionaryPages == 0 && user.plainDataPages > 3)
        let id = try PageSurvey(reader, column: "id")
        #expect(id.dataPages >= 9 && id.dictionaryPages == 0)
    }

    @Test("default options (one row group, dictionary, zstd, checksums, page index) round-trip")
    func defaults() throws {
        let table = ReaderTestTable.make(rows: 3000, seed: 5)
        let reader = try ParquetFileReader(bytes: table.write(WriterOptions()))
        try Self.expectTable(reader, table)
    }

    @Test("a dictionary that outgrows its limit falls back to PLAIN pages within the chunk")
    func dictionaryFallback() throws {
        var table = ReaderTestTable(schema: ParquetSchema(fields: []), columns: [], rows: 3000)
        // Each word ten times in a row: dictionary-worthy, but the dictionary outgrows 2 KB after ~1,700 rows.
        table.addBytes("word", type: .string, required: false) { row in
            row % 13 == 0 ? nil : Array("word-\(row / 10 % 600)".utf8)
        }
        var options = WriterOptions()
        options.codec = .snappy
        options.dictionaryPageSizeLimit = 2048
        options.dataPageSize = 1024
        let reader = try ParquetFileReader(bytes: table.write(options))
        try Self.expectTable(reader, table)
        let survey = try PageSurvey(reader, column: "word")
        #expect(survey.dictionaryPages == 1 && survey.dictionaryDataPages >= 1 && survey.plainDataPages >= 1)
    }

    @Test("files without checksums, statistics or page index read the same")
    func minimalFile() throws {
        let table = ReaderTestTable.make(rows: 500, seed: 3)
        var options = Self.smallOptions(.gzip)
        options.writePageChecksums = false
        options.writePageStatistics = false
        options.writePageIndex = false
        options.enableDictionary = false
        options.keyValueMetadata = [(key: "k", value: "v")]
        let reader = try ParquetFileReader(bytes: table.write(options))
        try Self.expectTable(reader, table)
        #expect(try PageSurvey(reader, column: "event").dictionaryPages == 0)
    }

    @Test("one row and zero rows")
    func tinyFiles() throws {
        let one = ReaderTestTable.make(rows: 1)
        try Self.expectTable(ParquetFileReader(bytes: one.write(WriterOptions())), one)
        let zero = ReaderTestTable.make(rows: 0)
        let reader = try ParquetFileReader(bytes: zero.write(WriterOptions()))
        #expect(reader.rowCount == 0 && reader.metadata.rowGroups.isEmpty)
        #expect(try reader.int64s("id") == [] && reader.byteArrays("user") == [])
    }

    @Test("nested, repeated, mistyped and unknown columns throw schemaMismatch")
    func unsupportedColumns() throws {
        let sample = SampleTable.make(rows: 50)
        let reader = try ParquetFileReader(bytes: ParquetFileWriter.write(
            schema: sample.schema, columns: sample.columns, rowCount: sample.rowCount).bytes)
        // Maps and lists are groups: not leaf columns at the top level.
        #expect(!reader.columnNames.contains("attrs") && !reader.columnNames.contains("nums"))
        #expect(reader.columnNames.contains("req_string") && reader.columnNames.contains("i32"))
        for (column, read) in [
            ("attrs", { (r: ParquetFileReader) throws(ParquetError) in _ = try r.byteArrays("attrs") }),
            ("nums", { (r: ParquetFileReader) throws(ParquetError) in _ = try r.int64s("nums") }),
            ("i32", { (r: ParquetFileReader) throws(ParquetError) in _ = try r.int64s("i32") }),
            ("i64", { (r: ParquetFileReader) throws(ParquetError) in _ = try r.byteArrays("i64") }),
            ("missing", { (r: ParquetFileReader) throws(ParquetError) in _ = try r.int64s("missing") }),
        ] {
            let error = #expect(throws: ParquetError.self, "\(column)") { try read(reader) }
            #expect(error?.code == .schemaMismatch, "\(column)")
        }
        // The flat columns of the sample table read back.
        for name in ["req_string", "opt_string", "all_null", "low_card", "long_text", "bin"] {
            let index = try #require(sample.schema.fields.firstIndex { $0.name == name })
            #expect(try reader.byteArrays(name) == Self.expand(sample.columns[index], rows: 50), "\(name)")
        }
        let i64 = try #require(sample.schema.fields.firstIndex { $0.name == "i64" })
        guard case .int64(let values, let validity) = sample.columns[i64] else { Issue.record("i64"); return }
        var next = 0
        let expected: [Int64?] = (0..<50).map { row in
            guard validity?[row] ?? true else { return nil }
            defer { next += 1 }
            return values[next]
        }
        #expect(try reader.int64s("i64") == expected)
        #expect(try reader.int64s("ts").count == 50)
    }

    /// The rows of a flat byte-array column, nil for nulls.
    static func expand(_ column: ColumnData, rows: Int) -> [[UInt8]?] {
        guard case .byteArray(let buffer, let validity) = column else { return [] }
        var next = 0
        return (0..<rows).map { row in
            guard validity?[row] ?? true else { return nil }
            defer { next += 1 }
            return Array(buffer.bytes[Int(buffer.offsets[next])..<Int(buffer.offsets[next + 1])])
        }
    }
}

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

    @Test("a dictionary that would outgrow its limit is not used: the whole chunk is PLAIN, never both in one chunk")
    func dictionaryOverLimit() throws {
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
        #expect(survey.dictionaryPages == 0 && survey.dictionaryDataPages == 0 && survey.plainDataPages >= 1)
        // Under the limit, the same words are dictionary-encoded throughout.
        options.dictionaryPageSizeLimit = 1 << 20
        let fitting = try PageSurvey(try ParquetFileReader(bytes: table.write(options)), column: "word")
        #expect(fitting.dictionaryPages == 1 && fitting.dictionaryDataPages >= 1 && fitting.plainDataPages == 0)
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

/// Whole columns as the writer takes them (``ParquetFileReader/columnData(_:)``): flat columns of each
/// supported type, and maps and lists rebuilt from their repetition and definition levels.
@Suite("Parquet reader: column data")
struct ParquetColumnDataTests {
    static func strings(_ values: [String]) -> ByteArrayBuffer {
        var buffer = ByteArrayBuffer()
        for value in values { buffer.append(Array(value.utf8)) }
        return buffer
    }

    static let rows = 1_500

    /// Row `r`: an optional string, an int32, a timestamp, a map (null every 7th row, empty every 5th, null
    /// values every 3rd entry) and a list (empty every 4th row).
    static func columns() -> (schema: ParquetSchema, data: [ColumnData]) {
        var names: [String] = [], ints: [Int32] = [], times: [Int64] = []
        var nameValidity: [Bool] = []
        var mapOffsets: [Int32] = [0], mapValidity: [Bool] = [], keys: [String] = [], values: [String] = [], valueValidity: [Bool] = []
        var listOffsets: [Int32] = [0], elements: [String] = []
        for row in 0..<rows {
            nameValidity.append(row % 2 == 0)
            if row % 2 == 0 { names.append("name-\(row % 37)") }
            ints.append(Int32(row) - 700)
            times.append(1_700_000_000_000_000 + Int64(row) * 1_000)
            mapValidity.append(row % 7 != 0)
            if row % 7 != 0 && row % 5 != 0 {
                for entry in 0..<(row % 3 + 1) {
                    keys.append("k\(entry)")
                    let present = (row + entry) % 3 != 0
                    valueValidity.append(present)
                    if present { values.append("v\(row)-\(entry)") }
                }
            }
            mapOffsets.append(Int32(keys.count))
            if row % 4 != 0 { for element in 0..<(row % 5 + 1) { elements.append("e\(element)") } }
            listOffsets.append(Int32(elements.count))
        }
        let schema = ParquetSchema(fields: [
            ParquetField(name: "name", fieldId: 1, type: .string, isRequired: false),
            ParquetField(name: "n", fieldId: 2, type: .int32, isRequired: true),
            ParquetField(name: "at", fieldId: 3, type: .timestampMicrosUTC, isRequired: true),
            ParquetField(name: "attributes", fieldId: 4,
                         type: .map(key: ParquetField(name: "key", fieldId: 5, type: .string, isRequired: true),
                                    value: ParquetField(name: "value", fieldId: 6, type: .string, isRequired: false)),
                         isRequired: false),
            ParquetField(name: "tags", fieldId: 7,
                         type: .list(element: ParquetField(name: "element", fieldId: 8, type: .string, isRequired: true)),
                         isRequired: true),
        ])
        return (schema, [
            .byteArray(strings(names), validity: nameValidity),
            .int32(ints, validity: nil),
            .int64(times, validity: nil),
            .map(offsets: mapOffsets, validity: mapValidity, keys: .byteArray(strings(keys), validity: nil),
                 values: .byteArray(strings(values), validity: valueValidity)),
            .list(offsets: listOffsets, validity: nil, elements: .byteArray(strings(elements), validity: nil)),
        ])
    }

    @Test("every column reads back as it was written, over several row groups and pages", arguments: [
        CompressionCodec.zstd(level: 1), .snappy, .uncompressed,
    ])
    func roundTrip(codec: CompressionCodec) throws {
        let (schema, data) = Self.columns()
        for options in [ParquetFileReaderTests.smallOptions(codec), WriterOptions()] {
            let file = try ParquetFileWriter.write(schema: schema, columns: data, rowCount: Self.rows, options: options)
            let reader = try ParquetFileReader(bytes: file.bytes)
            for (field, expected) in zip(schema.fields, data) {
                #expect(try reader.columnData(field.name) == expected, "column \(field.name)")
            }
        }
    }

    @Test("a file written a batch at a time reads as the batches in order")
    func streamed() throws {
        let (schema, data) = Self.columns()
        var writer = try ParquetStreamWriter(schema: schema, options: ParquetFileReaderTests.smallOptions(.snappy))
        try writer.append(columns: data, rowCount: Self.rows)
        try writer.append(columns: data, rowCount: Self.rows)
        let reader = try ParquetFileReader(bytes: writer.finish().bytes)
        #expect(reader.rowCount == 2 * Self.rows)
        guard case .int32(let ints, nil) = try reader.columnData("n") else {
            Issue.record("n is not an int32 column")
            return
        }
        #expect(ints.count == 2 * Self.rows && ints[Self.rows] == -700)
        guard case .map(let offsets, _, _, _) = try reader.columnData("attributes") else {
            Issue.record("attributes is not a map")
            return
        }
        #expect(offsets.count == 2 * Self.rows + 1)
    }
}

@testable import Parquet

/// A deterministic flat table of BYTE_ARRAY and INT64 columns with the values a reader must return.
struct ReaderTestTable {
    var schema: ParquetSchema
    var columns: [ColumnData]
    var rows: Int
    var byteArrays: [String: [[UInt8]?]] = [:]
    var int64s: [String: [Int64?]] = [:]

    /// `id` (INT64, required, with Int64.min/max), `score` (INT64, optional), `event` (low-cardinality
    /// string, dictionary-encoded), `user` (unique strings, optional, PLAIN), `payload` (binary of
    /// 0...300 random bytes, optional), `nothing` (string, all null).
    static func make(rows: Int, seed: UInt64 = 11) -> ReaderTestTable {
        var random = SplitMix(state: seed)
        var table = ReaderTestTable(schema: ParquetSchema(fields: []), columns: [], rows: rows)

        table.addInt64("id", required: true) { row in
            switch row {
            case 0: Int64.min
            case 1: Int64.max
            default: Int64(row) * 1_000_003 - 5_000_000
            }
        }
        table.addInt64("score", required: false) { row in
            row % 5 == 2 ? nil : Int64(bitPattern: random.next())
        }
        let events = ["track", "page", "identify", "screen", "", "héllo 😀"]
        table.addBytes("event", type: .string, required: true) { row in Array(events[row % events.count].utf8) }
        table.addBytes("user", type: .string, required: false) { row in
            row % 3 == 0 ? nil : Array("user-\(random.next() % 1_000_000_007)-\(row)".utf8)
        }
        table.addBytes("payload", type: .binary, required: false) { row in
            if row % 7 == 3 { return nil }
            let count = Int(random.next() % 301)
            return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        table.addBytes("nothing", type: .string, required: false) { _ in nil }
        return table
    }

    mutating func addInt64(_ name: String, required: Bool, value: (Int) -> Int64?) {
        var values: [Int64] = []
        var validity: [Bool] = []
        var expected: [Int64?] = []
        for row in 0..<rows {
            let v = value(row)
            expected.append(v)
            validity.append(v != nil)
            if let v { values.append(v) }
        }
        schema.fields.append(ParquetField(name: name, fieldId: Int32(schema.fields.count + 1), type: .int64,
                                          isRequired: required))
        columns.append(.int64(values, validity: required ? nil : validity))
        int64s[name] = expected
    }

    mutating func addBytes(_ name: String, type: ParquetType, required: Bool, value: (Int) -> [UInt8]?) {
        var buffer = ByteArrayBuffer()
        var validity: [Bool] = []
        var expected: [[UInt8]?] = []
        for row in 0..<rows {
            let v = value(row)
            expected.append(v)
            validity.append(v != nil)
            if let v { buffer.append(v) }
        }
        schema.fields.append(ParquetField(name: name, fieldId: Int32(schema.fields.count + 1), type: type,
                                          isRequired: required))
        columns.append(.byteArray(buffer, validity: required ? nil : validity))
        byteArrays[name] = expected
    }

    func write(_ options: WriterOptions) throws -> [UInt8] {
        try ParquetFileWriter.write(schema: schema, columns: columns, rowCount: rows, options: options).bytes
    }
}

/// Page-level facts about one column of a file, read with the reader's internal decoders.
struct PageSurvey: Equatable {
    var dictionaryPages = 0
    var dataPages = 0
    var dictionaryDataPages = 0
    var plainDataPages = 0
    var rowGroups = 0

    init(_ reader: ParquetFileReader, column: String) throws {
        let bytes = reader.bytes
        for group in reader.metadata.rowGroups {
            rowGroups += 1
            guard let meta = group.columns.first(where: { $0.metaData?.pathInSchema == [column] })?.metaData else {
                continue
            }
            var position = Int(meta.dictionaryPageOffset ?? meta.dataPageOffset)
            let end = position + Int(meta.totalCompressedSize)
            while position < end {
                var thrift = ThriftCompactReader(bytes: bytes, range: position..<end)
                let header = try FooterPageHeader(from: &thrift)
                position = thrift.position + Int(header.compressedPageSize)
                if header.type == 2 {
                    dictionaryPages += 1
                } else if let data = header.dataPage {
                    dataPages += 1
                    if data.encoding == 8 || data.encoding == 2 { dictionaryDataPages += 1 } else { plainDataPages += 1 }
                }
            }
        }
    }

    init() {}
}

@testable import Parquet
import Testing

@Suite("ParquetFileWriter")
struct ParquetFileWriterTests {
    static let codecs: [CompressionCodec] = [.uncompressed, .snappy, .zstd(level: 1), .gzip]

    @Test("a sample table makes a framed file with one summary per leaf", arguments: codecs)
    func smoke(codec: CompressionCodec) throws {
        let table = SampleTable.make(rows: 300)
        var options = WriterOptions()
        options.codec = codec
        let file = try ParquetFileWriter.write(schema: table.schema, columns: table.columns,
                                               rowCount: table.rowCount, options: options)
        let bytes = file.bytes
        #expect(Array(bytes.prefix(4)) == Array("PAR1".utf8))
        #expect(Array(bytes.suffix(4)) == Array("PAR1".utf8))
        let footerLength = bytes[bytes.count - 8..<bytes.count - 4].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(footerLength > 0 && footerLength < bytes.count - 12)
        #expect(file.rowCount == 300)
        #expect(file.columns.count == 16)
        let key = try #require(file.columns.first { $0.path == ["attrs", "key_value", "key"] })
        #expect(key.fieldId == 14)
        let i32 = try #require(file.columns.first { $0.path == ["i32"] })
        #expect(i32.valueCount == 300 && i32.nullCount == 0)
        let allNull = try #require(file.columns.first { $0.path == ["all_null"] })
        #expect(allNull.nullCount == 300 && allNull.minValue == nil && allNull.maxValue == nil)
        let total = file.columns.reduce(Int64(0)) { $0 + $1.compressedSize }
        #expect(total > 0 && total < Int64(bytes.count))
    }

    @Test("the same rows always give the same bytes")
    func deterministic() throws {
        let table = SampleTable.make(rows: 200)
        let first = try ParquetFileWriter.write(schema: table.schema, columns: table.columns, rowCount: 200)
        let second = try ParquetFileWriter.write(schema: table.schema, columns: table.columns, rowCount: 200)
        #expect(first.bytes == second.bytes)
    }

    @Test("row groups split at rowGroupSize and summaries cover all of them")
    func rowGroups() throws {
        let table = SampleTable.make(rows: 250)
        var options = WriterOptions()
        options.rowGroupSize = 100
        let split = try ParquetFileWriter.write(schema: table.schema, columns: table.columns, rowCount: 250,
                                                options: options)
        let whole = try ParquetFileWriter.write(schema: table.schema, columns: table.columns, rowCount: 250)
        for (a, b) in zip(split.columns, whole.columns) {
            #expect(a.valueCount == b.valueCount && a.nullCount == b.nullCount, "\(a.path)")
            #expect(a.minValue == b.minValue && a.maxValue == b.maxValue, "\(a.path)")
        }
    }

    @Test("zero rows make a valid file without row groups")
    func empty() throws {
        let schema = ParquetSchema(fields: [ParquetField(name: "a", fieldId: 1, type: .string, isRequired: false)])
        let file = try ParquetFileWriter.write(schema: schema, columns: [.byteArray(ByteArrayBuffer(), validity: [])],
                                               rowCount: 0)
        #expect(file.rowCount == 0 && file.columns.first?.valueCount == 0)
    }

    @Test("a column count that differs from the schema is rejected")
    func columnCount() {
        let schema = ParquetSchema(fields: [ParquetField(name: "a", fieldId: 1, type: .int32, isRequired: true)])
        #expect(throws: ParquetError.self) {
            try ParquetFileWriter.write(schema: schema, columns: [], rowCount: 0)
        }
    }

    @Test("errors render code, message and context")
    func errorDescription() {
        let error = ParquetError(.schemaMismatch, "bad", context: ["column": "a"])
        #expect(error.description == "ParquetError.schemaMismatch: bad (column: a)")
    }
}

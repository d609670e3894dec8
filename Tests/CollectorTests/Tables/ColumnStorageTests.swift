@testable import Collector
import Parquet
import Testing

/// Column buffers outside Swift arrays (``GrowableBuffer``, ``ColumnStorage``): growth keeps every
/// value, and decoders keep value semantics (a copy changed later leaves the original as it was).
struct ColumnStorageTests {
    @Test("a growable buffer keeps every value across many regrowths, and a copy is independent")
    func growableBuffer() {
        var buffer = GrowableBuffer<Int32>()
        for value in 0..<100_000 { buffer.append(Int32(value)) }
        let tail: [Int32] = [7, 8, 9]
        tail.withUnsafeBufferPointer { buffer.append(contentsOf: $0) }
        #expect(buffer.count == 100_003)
        #expect(Array(buffer.values.prefix(3)) == [0, 1, 2])
        #expect(Array(buffer.values.suffix(4)) == [99_999, 7, 8, 9])
        var copy = buffer.copy()
        copy.append(42)
        #expect(copy.count == buffer.count + 1)
        #expect(buffer.values.last == 9)
        buffer.deallocate()
        #expect(buffer.count == 0)
        #expect(copy.values.last == 42)
        copy.deallocate()
    }

    static func decoder(ids: [String]) throws -> RowBatchDecoder {
        var decoder = RowBatchDecoder(table: .cloudEvents)
        for id in ids {
            try decoder.appendRow { $0.requiredCloudEventColumns(id: id) }
        }
        return decoder
    }

    @Test("a copied decoder changed afterwards leaves the original unchanged, and the other way round")
    func copyOnWrite() throws {
        let original = try Self.decoder(ids: ["a", "b"])
        var copy = original
        try copy.appendRow { $0.requiredCloudEventColumns(id: "c", receivedAt: 2) }
        #expect(original.rowCount == 2)
        #expect(original.columns()[CloudEventsColumn.id] == .byteArray(
            ByteArrayBuffer(bytes: Array("ab".utf8), offsets: [0, 1, 2]), validity: nil))
        #expect(copy.columns()[CloudEventsColumn.id] == .byteArray(
            ByteArrayBuffer(bytes: Array("abc".utf8), offsets: [0, 1, 2, 3]), validity: nil))
        #expect(copy.columns()[CloudEventsColumn.receivedAt] == .int64([1, 1, 2], validity: nil))

        var changed = try Self.decoder(ids: ["x"])
        let earlier = changed
        try changed.appendRow { $0.requiredCloudEventColumns(id: "y") }
        #expect(earlier.rowCount == 1)
        #expect(earlier.columns()[CloudEventsColumn.id] == .byteArray(
            ByteArrayBuffer(bytes: Array("x".utf8), offsets: [0, 1]), validity: nil))
    }

    @Test("joining pieces gives the same columns as one decoder fed every row")
    func joiningPieces() throws {
        let ids = (0..<5_000).map { "id-\($0)-" + String(repeating: "x", count: $0 % 300) }
        let pieces = try [ids[..<1], ids[1..<2_500], ids[2_500...]].map { try Self.decoder(ids: Array($0)) }
        let whole = try Self.decoder(ids: ids)
        #expect(RowBatchDecoder.columns(joining: pieces, table: .cloudEvents) == whole.columns())
        #expect(RowBatchDecoder.columns(joining: [], table: .cloudEvents) == RowBatchDecoder(table: .cloudEvents).columns())
    }

    @Test("columns a row leaves out are null, also at the end of a piece and in map columns")
    func leftOutColumnsAreNull() throws {
        func piece(_ rows: [(year: Int32?, extensions: [(key: [UInt8], value: [UInt8]?)]?)]) throws -> RowBatchDecoder {
            var decoder = RowBatchDecoder(table: .cloudEvents)
            for row in rows {
                try decoder.appendRow { writer in
                    writer.requiredCloudEventColumns()
                    if let year = row.year { writer.int32(CloudEventsColumn.year, year) }
                    if let extensions = row.extensions { writer.stringMap(CloudEventsColumn.extensions, extensions) }
                }
            }
            return decoder
        }
        let a = Array("a".utf8), b = Array("b".utf8)
        let first = try piece([(1, [(a, b)]), (nil, nil), (nil, nil)])
        let second = try piece([(nil, [(b, nil)]), (5, nil)])
        let columns = RowBatchDecoder.columns(joining: [first, second], table: .cloudEvents)
        #expect(columns[CloudEventsColumn.year] == .int32([1, 5], validity: [true, false, false, false, true]))
        #expect(columns[CloudEventsColumn.extensions] == .map(
            offsets: [0, 1, 1, 1, 2, 2], validity: [true, false, false, true, false],
            keys: .byteArray(ByteArrayBuffer(bytes: a + b, offsets: [0, 1, 2]), validity: nil),
            values: .byteArray(ByteArrayBuffer(bytes: b, offsets: [0, 1]), validity: [true, false])))
        // A column no row wrote is null throughout.
        #expect(columns[CloudEventsColumn.subject] == .byteArray(ByteArrayBuffer(), validity: [Bool](repeating: false, count: 5)))
    }

    @Test("a row that throws half-written leaves data the Parquet writer refuses, never a trap")
    func halfWrittenRow() throws {
        var decoder = try Self.decoder(ids: ["a"])
        var row = RowEncoder()
        row.string(CloudEventsColumn.id, "b")
        #expect(throws: RowBatchDecoder.DecodingError.self) { try decoder.append(row.bytes + [99]) }
        #expect(decoder.rowCount == 1)
        let columns = decoder.columns()
        #expect(throws: ParquetError.self) {
            try ParquetFileWriter.write(schema: TableDefinition.cloudEvents.parquetSchema, columns: columns, rowCount: decoder.rowCount)
        }
    }
}

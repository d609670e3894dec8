@testable import Collector
import Parquet
import Testing

/// The rows a compaction writes (``OutputFiles``, ``CompactedRows``): every row of the inputs but the deleted
/// ones, values intact (strings, int32, timestamps, nulls, lists), sorted by the table's time column.
struct CompactedRowsTests {
    struct Row: Equatable {
        var receivedAt: Int64
        var route: String
        var requestId: String?
        var batchIndex: Int32?
        var reasons: [String]
    }

    static func file(_ rows: [Row]) throws -> [UInt8] {
        let definition = TableDefinition.rejected
        var decoder = RowBatchDecoder(table: definition, expectedRows: rows.count)
        for row in rows {
            try decoder.appendRow { columns in
                columns.timestamp(RejectedColumn.receivedAt, row.receivedAt)
                columns.string(RejectedColumn.format, "segment")
                columns.string(RejectedColumn.route, row.route)
                if let id = row.requestId { columns.string(RejectedColumn.requestId, id) }
                if let index = row.batchIndex { columns.int32(RejectedColumn.batchIndex, index) }
                columns.string(RejectedColumn.event, "{}")
                columns.int32(RejectedColumn.eventBytes, 2)
                columns.stringList(RejectedColumn.reasons, row.reasons.map { Array($0.utf8) })
            }
        }
        return try ParquetFileWriter.write(schema: definition.parquetSchema, columns: decoder.columns(),
                                           rowCount: rows.count).bytes
    }

    static func rows(of bytes: [UInt8]) throws -> [Row] {
        let reader = try ParquetFileReader(bytes: bytes)
        let times = try reader.int64s("received_at"), routes = try reader.byteArrays("route")
        let ids = try reader.byteArrays("request_id"), indexes = try reader.int32s("batch_index")
        guard case .list(let offsets, _, .byteArray(let elements, _)) = try reader.columnData("reasons") else {
            Issue.record("reasons is not a list of strings")
            return []
        }
        return (0..<reader.rowCount).map { row in
            Row(receivedAt: times[row] ?? -1, route: String(decoding: routes[row] ?? [], as: UTF8.self),
                requestId: ids[row].map { String(decoding: $0, as: UTF8.self) }, batchIndex: indexes[row],
                reasons: (Int(offsets[row])..<Int(offsets[row + 1])).map { element in
                    String(decoding: elements.bytes[Int(elements.offsets[element])..<Int(elements.offsets[element + 1])],
                           as: UTF8.self)
                })
        }
    }

    @Test func rowsOfSeveralFilesComeOutWholeSortedAndWithoutTheDeletedOnes() throws {
        let first = [
            Row(receivedAt: 50, route: "/v1/batch", requestId: "r1", batchIndex: 3, reasons: ["missing userId", "bad type"]),
            Row(receivedAt: 10, route: "/v1/track", requestId: nil, batchIndex: nil, reasons: []),
            Row(receivedAt: 30, route: "/v1/batch", requestId: "r2", batchIndex: 0, reasons: ["too large"]),
        ]
        let second = [
            Row(receivedAt: 20, route: "/events", requestId: "r3", batchIndex: nil, reasons: ["no id"]),
            Row(receivedAt: 30, route: "/events/batch", requestId: nil, batchIndex: 7, reasons: ["a", "b", "c"]),
        ]
        let output = OutputFiles(definition: .rejected, options: WriterOptions(), targetBytes: 1 << 30)
        #expect(try output.add(fileBytes: Self.file(first), expectedRows: 3, deleted: [1]) == nil)
        #expect(try output.add(fileBytes: Self.file(second), expectedRows: 2, deleted: []) == nil)
        let written = try #require(try output.finish())
        // Row 1 of the first file is deleted; ties on the time keep the order of arrival.
        #expect(try Self.rows(of: written.bytes) == [second[0], first[2], second[1], first[0]])
        #expect(try output.finish() == nil)
    }

    @Test func aFileWhoseRowCountDiffersFromItsManifestEntryIsRefused() throws {
        let output = OutputFiles(definition: .rejected, options: WriterOptions(), targetBytes: 1 << 30)
        #expect(throws: ParquetError.self) {
            _ = try output.add(fileBytes: Self.file([Row(receivedAt: 1, route: "/", requestId: nil, batchIndex: nil, reasons: [])]),
                               expectedRows: 2, deleted: [])
        }
    }
}

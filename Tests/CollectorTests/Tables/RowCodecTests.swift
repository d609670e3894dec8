@testable import Collector
import Parquet
import Testing

@Suite("Row encoding")
struct RowCodecTests {
    @Test("rows decode into dense columns with validity")
    func roundTrip() throws {
        var first = RowEncoder()
        first.string(CloudEventsColumn.id, "a")
        first.string(CloudEventsColumn.type, "t")
        first.string(CloudEventsColumn.source, "s")
        first.string(CloudEventsColumn.specversion, "1.0")
        first.timestamp(CloudEventsColumn.receivedAt, 42)
        first.stringMap(CloudEventsColumn.extensions, [(Array("k".utf8), Array("v".utf8)), (Array("n".utf8), nil)])
        first.int32(CloudEventsColumn.year, 2026)
        var second = RowEncoder()
        second.timestamp(CloudEventsColumn.receivedAt, 43)
        second.string(CloudEventsColumn.specversion, "1.0")
        second.string(CloudEventsColumn.source, "s2")
        second.string(CloudEventsColumn.type, "t2")
        second.string(CloudEventsColumn.id, "b")

        var decoder = RowBatchDecoder(table: .cloudEvents)
        try decoder.append(first.bytes)
        try decoder.append(second.bytes)
        let columns = decoder.columns()
        #expect(decoder.rowCount == 2)
        #expect(columns[CloudEventsColumn.id] == .byteArray(ByteArrayBuffer(bytes: Array("ab".utf8), offsets: [0, 1, 2]), validity: nil))
        #expect(columns[CloudEventsColumn.receivedAt] == .int64([42, 43], validity: nil))
        #expect(columns[CloudEventsColumn.year] == .int32([2026], validity: [true, false]))
        #expect(columns[CloudEventsColumn.subject] == .byteArray(ByteArrayBuffer(), validity: [false, false]))
        #expect(columns[CloudEventsColumn.extensions] == .map(
            offsets: [0, 2, 2], validity: [true, false],
            keys: .byteArray(ByteArrayBuffer(bytes: Array("kn".utf8), offsets: [0, 1, 2]), validity: nil),
            values: .byteArray(ByteArrayBuffer(bytes: Array("v".utf8), offsets: [0, 1]), validity: [true, false])))
    }

    @Test("corrupt rows throw instead of crashing", arguments: [
        [] as [UInt8], [9], [1, 200], [1, 0, 50, 65], [1, 4, 1, 2],
    ])
    func corrupt(_ bytes: [UInt8]) {
        var decoder = RowBatchDecoder(table: .cloudEvents)
        #expect(throws: RowBatchDecoder.DecodingError.self) { try decoder.append(bytes) }
    }

    @Test("a row missing a required column is rejected")
    func missingRequired() {
        var row = RowEncoder()
        row.string(EventsColumn.messageId, "m")
        var decoder = RowBatchDecoder(table: .events)
        #expect(throws: RowBatchDecoder.DecodingError.self) { try decoder.append(row.bytes) }
    }
}

import Buffer
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

    @Test("joined batches keep each row's nulls in place")
    func joiningKeepsNulls() throws {
        func batch(_ years: [Int32?]) throws -> RowBatchDecoder {
            var decoder = RowBatchDecoder(table: .cloudEvents)
            for year in years {
                try decoder.appendRow { row in
                    row.requiredCloudEventColumns()
                    if let year { row.int32(CloudEventsColumn.year, year) }
                }
            }
            return decoder
        }
        let batches = [try batch([1, nil, 3]), try batch([nil, 5]), try batch([6])]
        #expect(batches.reduce(0) { $0 + $1.rowCount } == 6)
        let joined = RowBatchDecoder.columns(joining: batches, table: .cloudEvents)
        #expect(joined[CloudEventsColumn.year] == .int32([1, 3, 5, 6], validity: [true, false, true, false, true, true]))
        #expect(joined[CloudEventsColumn.id] == .byteArray(
            ByteArrayBuffer(bytes: Array("iiiiii".utf8), offsets: [0, 1, 2, 3, 4, 5, 6]), validity: nil))
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

    @Test("lines written straight into columns match the encode-then-decode path", arguments: LineNormalizer.Format.allCases)
    func directWritingMatchesEncoding(_ format: LineNormalizer.Format) throws {
        let lines: [String] = switch format {
        case .segment: [
            #"{"type":"track","event":"Signed Up","userId":"u1","messageId":"m1","timestamp":"2026-11-03T18:06:00.626Z","properties":{"plan":"pro"},"context":{"ip":"1.2.3.4"}}"#,
            #"{"batch":[{"type":"identify","messageId":"m2a","anonymousId":"a1","traits":{"x":1}},{"type":"page","messageId":"m2b","userId":"u2","name":"Home","receivedAt":"2026-11-03T01:00:00Z"}],"context":{"library":{"name":"l"}},"integrations":{"All":true},"sentAt":"2026-11-03T18:06:01Z"}"#,
            #"{"type":"alias","userId":"u3","previousId":"p3","messageId":"m3","sentAt":"2026-11-03T18:06:01Z"}"#,
        ]
        case .cloudevents: [
            #"{"specversion":"1.0","id":"e1","source":"/s","type":"com.example.a","time":"2026-11-03T18:06:00Z","data":{"k":[1,2]},"ext1":"v","ext2":null,"ext3":5}"#,
            #"[{"specversion":"1.0","id":"e2","source":"/s","type":"com.example.b","subject":"x","data_base64":"AAE="},{"specversion":"1.0","id":"e3","source":"/s","type":"com.example.a","time":"2026-11-04T00:00:00Z"}]"#,
        ]
        }
        let normalizer = LineNormalizer(format: format)
        let request = IngestContext(receivedAt: 1_790_000_000_000_000, clientIP: nil, historical: true)
        let table: TableDefinition = format == .segment ? .events : .cloudEvents
        var encoded: [PartitionID: RowBatchDecoder] = [:]
        var direct = BackfillUnitBuilder(targetFileRows: 1_000_000)
        for line in lines {
            // The HTTP path's encoding, then decoded: one row per event, with its partition.
            let buffered = try normalizer.normalize(Array(line.utf8), request: request).get()
            for index in 0..<buffered.count {
                try encoded[buffered.partition(index), default: RowBatchDecoder(table: table)].append(buffered.row(index))
            }
            // Backfill's path: the events go to the unit as they are validated.
            #expect(try direct.add(line: Array(line.utf8), normalizer: normalizer, request: request).get() == buffered.count)
        }
        let files = direct.files()
        #expect(files.count == encoded.count)
        for file in files {
            let expected = try #require(encoded[PartitionID(table: file.table.name, key: file.key.description)])
            #expect(file.rows == expected.rowCount)
            #expect(file.columns() == expected.columns())
        }
    }

    @Test("a row written twice to one column or out of range is refused")
    func badDirectWrites() {
        var decoder = RowBatchDecoder(table: .cloudEvents)
        #expect(throws: RowBatchDecoder.DecodingError.self) {
            try decoder.appendRow { row in
                row.string(CloudEventsColumn.id, "a")
                row.string(CloudEventsColumn.id, "b")
            }
        }
        var other = RowBatchDecoder(table: .cloudEvents)
        #expect(throws: RowBatchDecoder.DecodingError.self) {
            try other.appendRow { row in row.string(99, "a") }
        }
    }
}

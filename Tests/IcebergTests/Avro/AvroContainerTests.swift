@testable import Iceberg
import Testing

@Suite("AvroContainerWriter and AvroContainerReader")
struct AvroContainerTests {
    static let schema = AvroSchema.record(name: "r", fields: [AvroField(name: "a", type: .long, fieldId: nil)])
    static let sync: [UInt8] = Array(0..<16)

    @Test("the container layout is magic, metadata map, sync marker, then counted blocks")
    func goldenLayout() throws {
        var writer = AvroContainerWriter(schema: Self.schema, metadata: [("k", "v")], codec: .null, syncMarker: Self.sync)
        try writer.append(.record([.long(1)]))
        try writer.append(.record([.long(-1)]))
        let bytes = try writer.finish()
        let schemaJSON = #"{"type":"record","name":"r","fields":[{"name":"a","type":"long"}]}"#
        var expected: [UInt8] = [0x4F, 0x62, 0x6A, 0x01, 0x06]  // magic, 3 metadata entries
        expected += [0x16] + Array("avro.schema".utf8) + Self.varint(schemaJSON.utf8.count) + Array(schemaJSON.utf8)
        expected += [0x14] + Array("avro.codec".utf8) + [0x08] + Array("null".utf8)
        expected += [0x02] + Array("k".utf8) + [0x02] + Array("v".utf8)
        expected += [0x00] + Self.sync
        expected += [0x04, 0x04, 0x02, 0x01] + Self.sync  // 2 records, 2 bytes: zigzag 1 and -1
        #expect(bytes == expected, "\(Fixtures.hexString(bytes)) != \(Fixtures.hexString(expected))")
    }

    /// The zigzag varint of a non-negative length, written out by hand.
    static func varint(_ length: Int) -> [UInt8] {
        var value = UInt64(length) << 1
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return out + [UInt8(value)]
    }

    @Test("containers written by fastavro are read", arguments: [
        // fastavro.writer(..., [{"a": 1}, {"a": -1}], sync_marker=bytes(range(16)), codec=...)
        "4f626a0104146176726f2e636f646563086e756c6c166176726f2e736368656d6194017b2274797065223a20227265636f7264222c20226e616d65223a202272222c20226669656c6473223a205b7b226e616d65223a202261222c202274797065223a20226c6f6e67227d5d7d00000102030405060708090a0b0c0d0e0f04040201000102030405060708090a0b0c0d0e0f",
        "4f626a0104146176726f2e636f6465630e6465666c617465166176726f2e736368656d6194017b2274797065223a20227265636f7264222c20226e616d65223a202272222c20226669656c6473223a205b7b226e616d65223a202261222c202274797065223a20226c6f6e67227d5d7d00000102030405060708090a0b0c0d0e0f040e63620400000700000102030405060708090a0b0c0d0e0f",
    ])
    func readsFastavro(hex: String) throws {
        let reader = try AvroContainerReader(bytes: Fixtures.hex(hex))
        #expect(reader.schema == Self.schema)
        #expect(reader.records == [.record([.long(1)]), .record([.long(-1)])])
    }

    @Test("deflate containers round-trip", arguments: [0, 1, 5000])
    func deflateRoundTrip(count: Int) throws {
        var writer = AvroContainerWriter(schema: Self.schema, metadata: [], codec: .deflate, syncMarker: Self.sync)
        let records = (0..<count).map { AvroValue.record([.long(Int64($0) * 7919 - 40_000)]) }
        for record in records { try writer.append(record) }
        let reader = try AvroContainerReader(bytes: try writer.finish())
        #expect(reader.records == records)
        #expect(reader.metadata["avro.codec"] == "deflate")
    }

    @Test("schemas with field ids survive JSON and back")
    func schemaJSONRoundTrip() throws {
        let schema = try ManifestWriter(schema: EventsTable.schema, spec: EventsTable.spec).entrySchema()
        #expect(try AvroSchema(json: schema.json) == schema)
        #expect(try AvroSchema(json: ManifestListWriter.schema.json) == ManifestListWriter.schema)
    }

    @Test("header schemas are parsed once per text, a bad one is never cached, and the cache stays bounded")
    func schemaCache() throws {
        let json = try ManifestWriter(schema: EventsTable.schema, spec: EventsTable.spec).entrySchema().json
        #expect(try AvroSchemaCache.schema(json: json) == AvroSchema(json: json))
        #expect(try AvroSchemaCache.schema(json: json) == AvroSchema(json: json))
        for _ in 0..<2 {
            #expect(throws: CatalogError.self) { try AvroSchemaCache.schema(json: "{\"type\":\"nonsense\"}") }
        }
        for index in 0..<(AvroSchemaCache.capacity + 5) {
            let text = #"{"type":"record","name":"r\#(index)","fields":[{"name":"a","type":"long"}]}"#
            #expect(try AvroSchemaCache.schema(json: text) == AvroSchema(json: text))
        }
    }

    @Test("files that are not containers are rejected")
    func rejectsGarbage() {
        #expect(throws: CatalogError.self) { try AvroContainerReader(bytes: Array("PAR1".utf8)) }
    }
}

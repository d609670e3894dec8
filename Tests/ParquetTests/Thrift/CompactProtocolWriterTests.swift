@testable import Parquet
import Testing

@Suite("CompactProtocolWriter")
struct CompactProtocolWriterTests {
    @Test("varints are ULEB128", arguments: [
        (UInt64(0), [UInt8(0x00)]),
        (1, [0x01]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (300, [0xAC, 0x02]),
        (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ] as [(UInt64, [UInt8])])
    func varint(value: UInt64, expected: [UInt8]) {
        var writer = CompactProtocolWriter()
        writer.writeVarint(value)
        #expect(writer.bytes == expected, "\(writer.bytes) != \(expected)")
    }

    @Test("integers are zigzag encoded", arguments: [
        (Int64(0), [UInt8(0x00)]),
        (-1, [0x01]),
        (1, [0x02]),
        (-2, [0x03]),
        (2_147_483_647, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),
        (-2_147_483_648, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        (Int64.min, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ] as [(Int64, [UInt8])])
    func zigzag(value: Int64, expected: [UInt8]) {
        var writer = CompactProtocolWriter()
        writer.writeZigZag(value)
        #expect(writer.bytes == expected, "\(writer.bytes) != \(expected)")
    }

    @Test("field headers carry the id delta in the high nibble")
    func shortFieldHeaders() {
        var writer = CompactProtocolWriter()
        writer.writeI32(field: 1, 5)
        writer.writeI64(field: 3, -1)
        writer.writeI8(field: 4, -2)
        #expect(writer.bytes == [0x15, 0x0A, 0x26, 0x01, 0x13, 0xFE])
    }

    @Test("a delta over 15 or a smaller id uses the long form")
    func longFieldHeaders() {
        var writer = CompactProtocolWriter()
        writer.writeI32(field: 3, 1)
        writer.writeI32(field: 20, 1)
        writer.writeI32(field: 2, 1)
        #expect(writer.bytes == [0x35, 0x02, 0x05, 0x28, 0x02, 0x05, 0x04, 0x02])
    }

    @Test("booleans are the field type, with no value byte")
    func booleans() {
        var writer = CompactProtocolWriter()
        writer.writeBool(field: 1, true)
        writer.writeBool(field: 2, false)
        #expect(writer.bytes == [0x11, 0x12])
    }

    @Test("binary and strings are length-prefixed")
    func binary() {
        var writer = CompactProtocolWriter()
        writer.writeString(field: 1, "abc")
        writer.writeBinary(field: 2, [UInt8]())
        #expect(writer.bytes == [0x18, 0x03, 0x61, 0x62, 0x63, 0x18, 0x00])
    }

    @Test("lists put short sizes in the header and long sizes in a varint")
    func lists() {
        var writer = CompactProtocolWriter()
        writer.writeI32List(field: 1, [1, 2, -1])
        #expect(writer.bytes == [0x19, 0x35, 0x02, 0x04, 0x01])

        var long = CompactProtocolWriter()
        long.writeI32List(field: 1, Array(repeating: 0, count: 15))
        #expect(long.bytes == [0x19, 0xF5, 0x0F] + Array(repeating: 0, count: 15))

        var strings = CompactProtocolWriter()
        strings.writeStringList(field: 3, ["a", "bc"])
        #expect(strings.bytes == [0x39, 0x28, 0x01, 0x61, 0x02, 0x62, 0x63])
    }

    @Test("nested structs restart field ids and end with a stop byte")
    func nestedStructs() {
        var writer = CompactProtocolWriter()
        writer.writeI32(field: 1, 1)
        writer.writeStruct(field: 2, KeyValue(key: "k", value: nil))
        writer.writeI32(field: 3, 1)
        writer.writeEmptyStruct(field: 4)
        #expect(writer.bytes == [0x15, 0x02, 0x1C, 0x18, 0x01, 0x6B, 0x00, 0x15, 0x02, 0x1C, 0x00])
    }

    @Test("statistics write fields 3, 5 and 6 with their binary bounds")
    func statistics() {
        let statistics = Statistics(nullCount: 3, maxValue: [1], minValue: [0])
        let bytes = statistics.compactEncoded()
        #expect(bytes == [0x36, 0x06, 0x28, 0x01, 0x01, 0x18, 0x01, 0x00, 0x00], "\(bytes)")
    }

    @Test("a timestamp logical type nests the MICROS member of TimeUnit")
    func timestampLogicalType() {
        let bytes = LogicalType.timestampMicros(isAdjustedToUTC: true).compactEncoded()
        // field 8 struct { 1: true, 2: struct { 2: struct {} } }
        #expect(bytes == [0x8C, 0x11, 0x1C, 0x2C, 0x00, 0x00, 0x00, 0x00], "\(bytes)")
    }

    @Test("the footer lists TYPE_ORDER once per leaf")
    func columnOrders() {
        let metadata = FileMetaData(schema: [SchemaElement(name: "schema", numChildren: 0)], numRows: 0,
                                    rowGroups: [], keyValueMetadata: [], createdBy: nil, columnOrderCount: 2)
        let bytes = metadata.compactEncoded()
        let expected: [UInt8] = [
            0x15, 0x04, // version 2
            0x19, 0x1C, 0x48, 0x06, 0x73, 0x63, 0x68, 0x65, 0x6D, 0x61, 0x15, 0x00, 0x00, // schema
            0x16, 0x00, // num_rows 0
            0x19, 0x0C, // row_groups []
            0x39, 0x2C, 0x1C, 0x00, 0x00, 0x1C, 0x00, 0x00, // column_orders (long delta 3 → 0x39)
            0x00,
        ]
        #expect(bytes == expected, "\(bytes) != \(expected)")
    }
}

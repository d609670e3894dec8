@testable import Iceberg
import Testing

@Suite("AvroBinaryEncoder")
struct AvroBinaryEncoderTests {
    @Test("longs are zigzag varints", arguments: [
        (Int64(0), "00"), (-1, "01"), (1, "02"), (-64, "7f"), (64, "8001"), (-65, "8101"), (8192, "808001"),
        (Int64.max, "feffffffffffffffff01"), (Int64.min, "ffffffffffffffffff01"),
    ])
    func zigzagVarint(value: Int64, expected: String) throws {
        var encoder = AvroBinaryEncoder()
        encoder.writeLong(value)
        #expect(Fixtures.hexString(encoder.bytes) == expected, "\(value): \(Fixtures.hexString(encoder.bytes)) != \(expected)")
        var decoder = AvroBinaryDecoder(encoder.bytes)
        #expect(try decoder.readLong() == value)
    }

    @Test("random longs round-trip through the decoder")
    func randomRoundTrip() throws {
        var encoder = AvroBinaryEncoder()
        var generator = SystemRandomNumberGenerator()
        let values = (0..<1000).map { _ in Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64.random(in: 0...63) }
        for value in values { encoder.writeLong(value) }
        var decoder = AvroBinaryDecoder(encoder.bytes)
        for value in values { #expect(try decoder.readLong() == value) }
        #expect(decoder.isAtEnd)
    }

    @Test("a manifest_file record encodes exactly as fastavro does")
    func manifestFileMatchesFastavro() throws {
        // fastavro.schemaless_writer of the same record with ManifestListWriter.schema.
        let golden = "0c6d2e6176726fea4c00000606e8c1c2b797c6c4b69b010400000300000204000200020261020262010000000000"
        let record = AvroValue.record([
            .string("m.avro"), .long(4917), .int(0), .int(0), .long(3), .long(3), .long(5599813925999235188),
            .int(2), .int(0), .int(0), .long(-2), .long(0), .long(0),
            .array([
                .record([.boolean(false), .boolean(false), .bytes(Array("a".utf8)), .bytes(Array("b".utf8))]),
                .record([.boolean(true), .null, .null, .null]),
            ]),
            .null,
        ])
        var encoder = AvroBinaryEncoder()
        try encoder.write(record, as: ManifestListWriter.schema)
        #expect(Fixtures.hexString(encoder.bytes) == golden, "\(Fixtures.hexString(encoder.bytes)) != \(golden)")
        var decoder = AvroBinaryDecoder(encoder.bytes)
        #expect(try decoder.read(ManifestListWriter.schema) == record)
    }

    @Test("a value that does not fit the schema is rejected")
    func mismatch() {
        var encoder = AvroBinaryEncoder()
        #expect(throws: CatalogError.self) { try encoder.write(.string("x"), as: .long) }
        #expect(throws: CatalogError.self) { try encoder.write(.long(1), as: .optional(.string)) }
    }
}

@testable import Parquet
import Testing

@Suite("RLEHybridEncoder")
struct RLEHybridEncoderTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var values: [UInt8]
        var bitWidth: Int
        var expected: [UInt8]
        var description: String { name }
    }

    @Test("encodes known inputs like the spec", arguments: [
        // Encodings.md: 0...7 bit-packed with width 3 is 10001000 11000110 11111010.
        Case(name: "spec bit-packed example", values: [0, 1, 2, 3, 4, 5, 6, 7], bitWidth: 3,
             expected: [0x03, 0x88, 0xC6, 0xFA]),
        Case(name: "one RLE run", values: Array(repeating: 1, count: 10), bitWidth: 1, expected: [0x14, 0x01]),
        Case(name: "run then padded group", values: Array(repeating: 1, count: 10) + [0, 1, 0], bitWidth: 1,
             expected: [0x14, 0x01, 0x03, 0x02]),
        Case(name: "short input is one padded group", values: [1, 0, 1], bitWidth: 2, expected: [0x03, 0x11, 0x00]),
        Case(name: "long run of zeros", values: Array(repeating: 0, count: 300), bitWidth: 1, expected: [0xD8, 0x04, 0x00]),
    ])
    func known(_ c: Case) {
        var out: [UInt8] = []
        RLEHybridEncoder.encode(c.values, bitWidth: c.bitWidth, into: &out)
        #expect(out == c.expected, "\(out) != \(c.expected)")
    }

    @Test("wide values use as many bytes as the bit width needs")
    func wideRun() {
        var out: [UInt8] = []
        RLEHybridEncoder.encode(Array(repeating: UInt32(300), count: 8), bitWidth: 9, into: &out)
        #expect(out == [0x10, 0x2C, 0x01])
    }

    @Test("v1 page levels carry a 4-byte little-endian length")
    func lengthPrefix() {
        var out: [UInt8] = [0xAA]
        RLEHybridEncoder.encodeWithLengthPrefix(Array(repeating: UInt8(1), count: 10), bitWidth: 1, into: &out)
        #expect(out == [0xAA, 0x02, 0x00, 0x00, 0x00, 0x14, 0x01])
    }

    @Test("bit widths cover the largest value", arguments: [(0, 0), (1, 1), (2, 2), (3, 2), (255, 8), (256, 9)] as [(UInt64, Int)])
    func bitWidth(maxValue: UInt64, expected: Int) {
        #expect(RLEHybridEncoder.bitWidth(forMaxValue: maxValue) == expected)
    }

    @Test("random inputs decode back to the same values", arguments: [1, 2, 3, 5, 8, 13, 17, 32])
    func roundTrip(bitWidth: Int) throws {
        var random = SplitMix(state: UInt64(bitWidth))
        for trial in 0..<50 {
            let count = Int(random.next() % 2000) + 1
            let mask: UInt64 = bitWidth == 64 ? .max : (1 << UInt64(bitWidth)) - 1
            var values: [UInt32] = []
            while values.count < count {
                // Mix runs and noise so that both run kinds appear.
                let value = UInt32(random.next() & mask)
                let run = trial % 2 == 0 ? Int(random.next() % 20) + 1 : 1
                values.append(contentsOf: repeatElement(value, count: min(run, count - values.count)))
            }
            var out: [UInt8] = []
            RLEHybridEncoder.encode(values[...], bitWidth: bitWidth, into: &out)
            let decoded = try #require(ReferenceRLEDecoder.decode(out, bitWidth: bitWidth, count: count))
            #expect(decoded == values, "trial \(trial) with \(count) values")
        }
    }
}

/// A straightforward decoder of the RLE / bit-packed hybrid, the reference for round trips.
enum ReferenceRLEDecoder {
    static func decode(_ bytes: [UInt8], bitWidth: Int, count: Int) -> [UInt32]? {
        var values: [UInt32] = []
        var position = 0
        func varint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
            return nil
        }
        while values.count < count {
            guard let header = varint() else { return nil }
            if header & 1 == 0 {
                let run = Int(header >> 1)
                var value: UInt32 = 0
                for k in 0..<((bitWidth + 7) / 8) {
                    guard position < bytes.count else { return nil }
                    value |= UInt32(bytes[position]) << UInt32(8 * k)
                    position += 1
                }
                values.append(contentsOf: repeatElement(value, count: run))
            } else {
                let groups = Int(header >> 1)
                for index in 0..<(groups * 8) {
                    var value: UInt32 = 0
                    for bit in 0..<bitWidth {
                        let absolute = index * bitWidth + bit
                        guard position + absolute / 8 < bytes.count else { return nil }
                        if bytes[position + absolute / 8] >> UInt8(absolute % 8) & 1 == 1 {
                            value |= 1 << UInt32(bit)
                        }
                    }
                    values.append(value)
                }
                position += groups * bitWidth
            }
        }
        guard position == bytes.count else { return nil }
        return Array(values.prefix(count))
    }
}

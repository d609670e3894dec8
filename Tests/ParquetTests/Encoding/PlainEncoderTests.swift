@testable import Parquet
import Testing

@Suite("PlainEncoder")
struct PlainEncoderTests {
    @Test("numbers are little-endian")
    func numbers() {
        var out: [UInt8] = []
        PlainEncoder.encode([Int32(1), -1][...], into: &out)
        PlainEncoder.encode([Int64(-2)][...], into: &out)
        PlainEncoder.encode([Float(1.0)][...], into: &out)
        PlainEncoder.encode([Double(-0.0)][...], into: &out)
        let expected: [UInt8] = [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
                                 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                 0x00, 0x00, 0x80, 0x3F,
                                 0, 0, 0, 0, 0, 0, 0, 0x80]
        #expect(out == expected, "\(out) != \(expected)")
    }

    @Test("booleans are bit-packed LSB first")
    func booleans() {
        var out: [UInt8] = []
        PlainEncoder.encode([true, false, true, true, false, false, false, false, true][...], into: &out)
        #expect(out == [0x0D, 0x01])
    }

    @Test("byte arrays are length-prefixed, including empty values")
    func byteArrays() {
        var buffer = ByteArrayBuffer()
        for value in ["a", "", "bc"] { buffer.append(Array(value.utf8)) }
        var out: [UInt8] = []
        PlainEncoder.encode(buffer, range: 0..<3, into: &out)
        #expect(out == [1, 0, 0, 0, 0x61, 0, 0, 0, 0, 2, 0, 0, 0, 0x62, 0x63])

        var tail: [UInt8] = [9]
        PlainEncoder.encode(buffer, range: 1..<3, into: &tail)
        #expect(tail == [9, 0, 0, 0, 0, 2, 0, 0, 0, 0x62, 0x63])
    }

    @Test("the byte-array copy agrees with a per-value reference on random input")
    func byteArraysAgainstReference() {
        var random = SplitMix(state: 7)
        var buffer = ByteArrayBuffer()
        for _ in 0..<500 {
            let length = Int(random.next() % 40)
            buffer.append((0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        }
        for range in [0..<500, 17..<18, 100..<433, 250..<250] {
            var fast: [UInt8] = []
            PlainEncoder.encode(buffer, range: range, into: &fast)
            var reference: [UInt8] = []
            for i in range {
                let value = buffer.bytes[Int(buffer.offsets[i])..<Int(buffer.offsets[i + 1])]
                withUnsafeBytes(of: UInt32(value.count).littleEndian) { reference.append(contentsOf: $0) }
                reference.append(contentsOf: value)
            }
            #expect(fast == reference, "range \(range)")
        }
    }
}

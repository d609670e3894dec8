@testable import Parquet
import Testing

@Suite("DictionaryEncoder")
struct DictionaryEncoderTests {
    private func buffer(_ values: [String]) -> ByteArrayBuffer {
        var buffer = ByteArrayBuffer()
        for value in values { buffer.append(Array(value.utf8)) }
        return buffer
    }

    @Test("distinct values get indices in first-seen order")
    func indices() {
        let values = buffer(["a", "b", "a", "", "b", "", "ccc"])
        var encoder = DictionaryEncoder(expectedCount: 4)
        var indices: [UInt32] = []
        let end = encoder.encode(values, range: 0..<7, sizeLimit: 1 << 20, indices: &indices)
        #expect(end == 7)
        #expect(indices == [0, 1, 0, 2, 1, 2, 3])
        #expect(encoder.entries == buffer(["a", "b", "", "ccc"]))
        #expect(encoder.plainSize == 4 * 4 + 5)
        #expect(encoder.indexBitWidth == 2)
    }

    @Test("the dictionary stops at the first new value past the size limit")
    func sizeLimit() {
        let values = buffer(["aaaa", "aaaa", "bbbb", "aaaa"])
        var encoder = DictionaryEncoder(expectedCount: 4)
        var indices: [UInt32] = []
        let end = encoder.encode(values, range: 0..<4, sizeLimit: 10, indices: &indices)
        #expect(end == 2)
        #expect(indices == [0, 0])
        #expect(encoder.count == 1)
    }

    @Test("many distinct values survive table growth")
    func growth() {
        let strings = (0..<10_000).map { "value-\($0 % 3000)" }
        var encoder = DictionaryEncoder(expectedCount: 16)
        var indices: [UInt32] = []
        _ = encoder.encode(buffer(strings), range: 0..<strings.count, sizeLimit: 1 << 20, indices: &indices)
        #expect(encoder.count == 3000)
        #expect(indices.enumerated().allSatisfy { $0.element == UInt32($0.offset % 3000) })
    }
}

@Suite("DictionaryEncoder against a reference")
struct DictionaryEncoderReferenceTests {
    @Test("indices match a Swift Dictionary on random byte strings")
    func randomAgainstDictionary() {
        var random = SplitMix(state: 11)
        var buffer = ByteArrayBuffer()
        var values: [[UInt8]] = []
        for _ in 0..<5000 {
            let length = Int(random.next() % 24)
            let alphabet = UInt64(random.next() % 3 + 1)
            let value = (0..<length).map { _ in UInt8(random.next() % alphabet) }
            values.append(value)
            buffer.append(value)
        }
        var encoder = DictionaryEncoder(expectedCount: 8)
        var indices: [UInt32] = []
        _ = encoder.encode(buffer, range: 0..<values.count, sizeLimit: .max, indices: &indices)
        var reference: [[UInt8]: UInt32] = [:]
        var expected: [UInt32] = []
        for value in values {
            if let index = reference[value] {
                expected.append(index)
            } else {
                let index = UInt32(reference.count)
                reference[value] = index
                expected.append(index)
            }
        }
        #expect(indices == expected)
        #expect(encoder.count == reference.count)
    }

    @Test("equal bytes hash equally wherever they are stored")
    func hashIgnoresPosition() {
        let a: [UInt8] = Array("the same value, longer than eight".utf8)
        let b: [UInt8] = [0, 1, 2] + a
        let hashA = a.withUnsafeBytes { DictionaryEncoder.hash($0) }
        let hashB = b.withUnsafeBytes { DictionaryEncoder.hash(UnsafeRawBufferPointer(rebasing: $0[3...])) }
        #expect(hashA == hashB)
    }
}

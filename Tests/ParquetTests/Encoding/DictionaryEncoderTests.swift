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

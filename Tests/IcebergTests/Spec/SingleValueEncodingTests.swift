import Iceberg
import Testing

@Suite("SingleValueEncoding")
struct SingleValueEncodingTests {
    @Test("numbers are little-endian")
    func numbers() {
        #expect(SingleValueEncoding.int(473352) == [0x08, 0x39, 0x07, 0x00])
        #expect(SingleValueEncoding.decodeInt([0x08, 0x39, 0x07, 0x00]) == 473352)
        #expect(SingleValueEncoding.decodeInt(SingleValueEncoding.int(-2)) == -2)
        #expect(SingleValueEncoding.decodeInt([0x08, 0x39, 0x07]) == nil)
        #expect(SingleValueEncoding.long(1_704_067_200_000_000) == [0x00, 0x20, 0x21, 0x10, 0xD7, 0x0D, 0x06, 0x00])
        #expect(PartitionValue.string("track").singleValueBytes == Array("track".utf8))
        #expect(PartitionValue.null.singleValueBytes == nil)
    }

    @Test("long strings are truncated into valid bounds")
    func truncation() {
        let text = String(repeating: "a", count: 63) + "é" + "zz"
        #expect(SingleValueEncoding.stringLowerBound(text) == Array(String(repeating: "a", count: 63).utf8))
        #expect(SingleValueEncoding.stringUpperBound(text) == Array((String(repeating: "a", count: 62) + "b").utf8))
        #expect(SingleValueEncoding.stringUpperBound("short") == Array("short".utf8))
    }
}

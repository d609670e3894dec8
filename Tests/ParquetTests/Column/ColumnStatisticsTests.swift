@testable import Parquet
import Testing

@Suite("ColumnStatistics")
struct ColumnStatisticsTests {
    @Test("integers compare signed")
    func signedIntegers() {
        var statistics = ColumnStatistics()
        statistics.include(.int32([5, -7, 3, Int32.max]), range: 0..<4)
        let thrift = statistics.thrift(isString: false)
        #expect(thrift.minValue == [0xF9, 0xFF, 0xFF, 0xFF])
        #expect(thrift.maxValue == [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(thrift.isMinValueExact == true)
    }

    @Test("byte arrays compare as unsigned bytes")
    func unsignedBytes() {
        var buffer = ByteArrayBuffer()
        for value: [UInt8] in [[0x7F], [0x80], [0x7F, 0x00], [], [0xFF, 0x01]] { buffer.append(value) }
        var statistics = ColumnStatistics()
        statistics.include(.byteArray(buffer), range: 0..<buffer.count)
        #expect(statistics.min == .bytes([]))
        #expect(statistics.max == .bytes([0xFF, 0x01]))
    }

    @Test("NaN is ignored and zero bounds are signed zeros")
    func floats() {
        var statistics = ColumnStatistics()
        statistics.include(.double([.nan, 0.0, 1.5, -0.0]), range: 0..<4)
        let thrift = statistics.thrift(isString: false)
        #expect(thrift.minValue == [0, 0, 0, 0, 0, 0, 0, 0x80])
        #expect(thrift.maxValue == [0, 0, 0, 0, 0, 0, 0xF8, 0x3F])

        var onlyNaN = ColumnStatistics()
        onlyNaN.include(.float([.nan]), range: 0..<1)
        #expect(onlyNaN.min == nil && onlyNaN.max == nil)
    }

    @Test("merging widens bounds and adds null counts")
    func merge() {
        var first = ColumnStatistics()
        first.nullCount = 2
        first.include(.int64([10, 20]), range: 0..<2)
        var second = ColumnStatistics()
        second.nullCount = 1
        second.include(.int64([-5, 15]), range: 0..<2)
        first.merge(second)
        #expect(first.nullCount == 3)
        #expect(first.min == .int64(-5) && first.max == .int64(20))
    }

    @Test("truncated string bounds are marked inexact")
    func truncatedStrings() {
        var buffer = ByteArrayBuffer()
        buffer.append(Array(String(repeating: "é", count: 40).utf8))
        var statistics = ColumnStatistics()
        statistics.include(.byteArray(buffer), range: 0..<1)
        let thrift = statistics.thrift(isString: true)
        #expect(thrift.minValue?.count == 64)
        #expect(thrift.isMinValueExact == false)
        #expect(thrift.maxValue == Array((String(repeating: "é", count: 31) + "ê").utf8))
        #expect(thrift.isMaxValueExact == false)
    }
}

import FloeSupport
/// The RLE / bit-packed hybrid encoding of small unsigned integers (levels, dictionary indices).
///
/// Implements [Encodings.md § RLE](https://github.com/apache/parquet-format/blob/master/Encodings.md#run-length-encoding--bit-packing-hybrid-rle--3):
/// runs of at least eight equal values become RLE runs, everything else is bit-packed in groups
/// of eight (the final group zero-padded). Bit-packed runs hold at most 63 groups, like
/// parquet-java, so the run header is always one byte.
enum RLEHybridEncoder {
    /// Bits needed to represent `maxValue` (0 for 0).
    static func bitWidth(forMaxValue maxValue: UInt64) -> Int {
        64 - maxValue.leadingZeroBitCount
    }

    /// Appends the encoding of `values`, each fitting in `bitWidth` bits (1...32), to `out`.
    static func encode<C: RandomAccessCollection>(_ values: C, bitWidth: Int, into out: inout [UInt8])
    where C.Element: FixedWidthInteger & UnsignedInteger, C.Index == Int {
        precondition(bitWidth >= 1 && bitWidth <= 32)
        let byteWidth = (bitWidth + 7) / 8
        let end = values.endIndex
        var i = values.startIndex
        while i < end {
            let run = runLength(values, from: i)
            if run >= 8 {
                LEB128.append(UInt64(run) << 1, to: &out)
                var v = UInt64(values[i])
                for _ in 0..<byteWidth {
                    out.append(UInt8(truncatingIfNeeded: v))
                    v >>= 8
                }
                i += run
                continue
            }
            // Bit-packed run: groups of eight until a long run starts or 63 groups are written.
            let headerIndex = out.count
            out.append(0)
            var groups = 0
            repeat {
                BitPacker.packGroup(values, from: i, bitWidth: bitWidth, into: &out)
                i = min(i + 8, end)
                groups += 1
            } while i < end && groups < 63 && runLength(values, from: i, atLeast: 8) < 8
            out[headerIndex] = UInt8(groups << 1 | 1)
        }
    }

    /// Appends the encoding prefixed by its length as 4 little-endian bytes (v1 data page levels).
    static func encodeWithLengthPrefix<C: RandomAccessCollection>(
        _ values: C, bitWidth: Int, into out: inout [UInt8]
    ) where C.Element: FixedWidthInteger & UnsignedInteger, C.Index == Int {
        let lengthIndex = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        encode(values, bitWidth: bitWidth, into: &out)
        let length = UInt32(out.count - lengthIndex - 4)
        out[lengthIndex] = UInt8(truncatingIfNeeded: length)
        out[lengthIndex + 1] = UInt8(truncatingIfNeeded: length >> 8)
        out[lengthIndex + 2] = UInt8(truncatingIfNeeded: length >> 16)
        out[lengthIndex + 3] = UInt8(truncatingIfNeeded: length >> 24)
    }

    /// Number of values equal to `values[start]` from `start` on, counting at most `limit`.
    private static func runLength<C: RandomAccessCollection>(
        _ values: C, from start: Int, atLeast limit: Int = .max
    ) -> Int where C.Element: Equatable, C.Index == Int {
        let first = values[start]
        var j = start + 1
        let end = values.endIndex
        while j < end && values[j] == first && j - start < limit {
            j += 1
        }
        return j - start
    }

}

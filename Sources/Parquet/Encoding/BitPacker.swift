/// Packs groups of eight unsigned integers LSB-first into `bitWidth` bytes, as the RLE hybrid and PLAIN booleans need.
enum BitPacker {
    /// Appends `bitWidth` bytes holding `values[start..<start+8]`; missing values past the end count as 0.
    static func packGroup<C: RandomAccessCollection>(
        _ values: C, from start: Int, bitWidth: Int, into out: inout [UInt8]
    ) where C.Element: FixedWidthInteger & UnsignedInteger, C.Index == Int {
        let end = Swift.min(start + 8, values.endIndex)
        var accumulator: UInt64 = 0
        var bits = 0
        for k in start..<(start + 8) {
            let v: UInt64 = k < end ? UInt64(values[k]) : 0
            accumulator |= v << UInt64(bits)
            bits += bitWidth
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
    }

    /// Appends booleans bit-packed LSB-first, one bit each, the last byte zero-padded (PLAIN BOOLEAN).
    static func packBooleans(_ values: ArraySlice<Bool>, into out: inout [UInt8]) {
        var byte: UInt8 = 0
        var bit: UInt8 = 0
        for value in values {
            if value { byte |= 1 << bit }
            bit += 1
            if bit == 8 {
                out.append(byte)
                byte = 0
                bit = 0
            }
        }
        if bit > 0 { out.append(byte) }
    }
}

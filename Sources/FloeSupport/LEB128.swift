/// Unsigned LEB128 varints (base-128, least significant group first) and zigzag, as Thrift's
/// compact protocol, Parquet's RLE/bit-packed hybrid and Avro's `int`/`long` use them.
package enum LEB128 {
    /// Appends `value` as an unsigned varint.
    @inlinable
    package static func append(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends `value` zigzag-encoded (small magnitudes, either sign, stay short).
    @inlinable
    package static func appendZigZag(_ value: Int64, to out: inout [UInt8]) {
        append(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &out)
    }
}

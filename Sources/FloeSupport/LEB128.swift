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

extension LEB128 {
    /// Reads an unsigned varint of at most `maxBytes` bytes (10 for 64 bits, 5 for 32) from
    /// `bytes[position..<end]`, advancing `position`; nil when it runs past `end`, is longer, or
    /// overflows 64 bits.
    @inlinable
    package static func read(_ bytes: [UInt8], at position: inout Int, end: Int, maxBytes: Int = 10) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            guard position < end, position < bytes.count else { return nil }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }
}

/// PLAIN encoding of values: little-endian fixed width, bit-packed booleans, length-prefixed byte arrays.
///
/// Implements [Encodings.md § Plain](https://github.com/apache/parquet-format/blob/master/Encodings.md#plain-plain--0).
enum PlainEncoder {
    /// Appends fixed-width numbers as their little-endian bytes.
    static func encode<T: FixedWidthInteger>(_ values: ArraySlice<T>, into out: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { out.appendBytes($0) }
        #else
        for value in values {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        #endif
    }

    static func encode(_ values: ArraySlice<Float>, into out: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { out.appendBytes($0) }
        #else
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
        #endif
    }

    static func encode(_ values: ArraySlice<Double>, into out: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { out.appendBytes($0) }
        #else
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
        #endif
    }

    static func encode(_ values: ArraySlice<Bool>, into out: inout [UInt8]) {
        BitPacker.packBooleans(values, into: &out)
    }

    /// Appends values `range` of `buffer`, each as a 4-byte little-endian length and its bytes.
    static func encode(_ buffer: ByteArrayBuffer, range: Range<Int>, into out: inout [UInt8]) {
        guard !range.isEmpty else { return }
        let byteStart = Int(buffer.offsets[range.lowerBound])
        let byteEnd = Int(buffer.offsets[range.upperBound])
        let oldCount = out.count
        let added = (byteEnd - byteStart) + 4 * range.count
        out.append(contentsOf: repeatElement(0, count: added))
        out.withUnsafeMutableBufferPointer { dst in
            buffer.bytes.withUnsafeBufferPointer { src in
                buffer.offsets.withUnsafeBufferPointer { offsets in
                    copyLengthPrefixed(src: src, offsets: offsets, range: range,
                                       dst: UnsafeMutableBufferPointer(rebasing: dst[oldCount...]))
                }
            }
        }
    }

    private static func copyLengthPrefixed(src: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int32>,
                                           range: Range<Int>, dst: UnsafeMutableBufferPointer<UInt8>) {
        guard let dstBase = dst.baseAddress, let srcBase = src.baseAddress else {
            // Every value is empty: only lengths of zero, already in place.
            return
        }
        var position = 0
        for i in range {
            let start = Int(offsets[i])
            let length = Int(offsets[i + 1]) - start
            UnsafeMutableRawPointer(dstBase + position)
                .storeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian, as: UInt32.self)
            position += 4
            (dstBase + position).update(from: srcBase + start, count: length)
            position += length
        }
    }
}

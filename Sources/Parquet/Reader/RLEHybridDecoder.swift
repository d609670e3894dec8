import FloeSupport
/// Decodes the RLE / bit-packed hybrid encoding of levels and dictionary indices.
///
/// Follows [Encodings.md § RLE](https://github.com/apache/parquet-format/blob/master/Encodings.md#run-length-encoding--bit-packing-hybrid-rle--3):
/// a ULEB128 run header whose low bit selects a bit-packed run (`groups << 1 | 1`, eight values per
/// group, packed least significant bit first) or an RLE run (`count << 1`, one value in
/// `ceil(bitWidth / 8)` little-endian bytes). Every run header consumes at least one byte and
/// every read is bounded by the input, so malformed input throws.
enum RLEHybridDecoder {
    /// Decodes exactly `count` values of `bitWidth` bits (0...32) from `bytes[range]`.
    ///
    /// A final bit-packed run may stop short of its last group's padding.
    static func decode(_ bytes: [UInt8], range: Range<Int>, bitWidth: Int, count: Int,
                       column: String) throws(ParquetError) -> [UInt32] {
        guard bitWidth >= 0 && bitWidth <= 32 else {
            throw malformed("bit width \(bitWidth) outside 0...32", column)
        }
        guard count >= 0 else { throw malformed("negative value count", column) }
        var values: [UInt32] = []
        // An RLE run can describe many values in a few bytes, so only reserve what is certain.
        values.reserveCapacity(min(count, range.count * 8 + 8))
        var position = range.lowerBound
        let end = range.upperBound
        let byteWidth = (bitWidth + 7) / 8
        while values.count < count {
            guard position < end else { throw malformed("levels or indices end early", column) }
            // Run header: a ULEB128 varint of at most 5 bytes (a 32-bit value).
            guard let header = LEB128.read(bytes, at: &position, end: end, maxBytes: 5) else {
                throw malformed("bad run header", column)
            }
            let wanted = count - values.count
            if header & 1 == 0 {
                let runLength = Int(header >> 1)
                guard end - position >= byteWidth else { throw malformed("RLE value past the end", column) }
                var value: UInt64 = 0
                for i in 0..<byteWidth {
                    value |= UInt64(bytes[position + i]) << (8 * UInt64(i))
                }
                position += byteWidth
                guard bitWidth == 32 || value < (UInt64(1) << UInt64(bitWidth)) else {
                    throw malformed("RLE value wider than \(bitWidth) bits", column)
                }
                values.append(contentsOf: repeatElement(UInt32(value), count: min(runLength, wanted)))
            } else {
                let runValues = Int(header >> 1) * 8
                let take = min(runValues, wanted)
                let runBytes = Int(header >> 1) * bitWidth
                // Bytes needed for the values taken; the rest of the run is skipped when present.
                let neededBytes = (take * bitWidth + 7) / 8
                guard end - position >= neededBytes else { throw malformed("bit-packed run past the end", column) }
                if bitWidth == 0 {
                    values.append(contentsOf: repeatElement(0, count: take))
                } else {
                    let mask: UInt64 = (UInt64(1) << UInt64(bitWidth)) - 1
                    var buffer: UInt64 = 0
                    var bufferBits = 0
                    var cursor = position
                    for _ in 0..<take {
                        while bufferBits < bitWidth {
                            buffer |= UInt64(bytes[cursor]) << UInt64(bufferBits)
                            cursor += 1
                            bufferBits += 8
                        }
                        values.append(UInt32(truncatingIfNeeded: buffer & mask))
                        buffer >>= UInt64(bitWidth)
                        bufferBits -= bitWidth
                    }
                }
                position += min(runBytes, end - position)
            }
        }
        return values
    }

    private static func malformed(_ message: String, _ column: String) -> ParquetError {
        ParquetError(.invalidColumnData, "malformed RLE/bit-packed data: \(message)", context: ["column": column])
    }
}

/// Decodes PLAIN-encoded values of the physical types the reader supports.
enum PlainDecoder {
    /// `count` BYTE_ARRAY values: each a 4-byte little-endian length, then that many bytes.
    static func byteArrays(_ bytes: [UInt8], range: Range<Int>, count: Int,
                           column: String) throws(ParquetError) -> [[UInt8]] {
        guard count >= 0, count <= range.count / 4 else {
            throw malformed("\(count) byte arrays cannot fit in \(range.count) bytes", column)
        }
        var values: [[UInt8]] = []
        values.reserveCapacity(count)
        var position = range.lowerBound
        for _ in 0..<count {
            guard range.upperBound - position >= 4 else { throw malformed("byte array length past the end", column) }
            let length = Int(readUInt32(bytes, at: position))
            position += 4
            guard length <= range.upperBound - position else { throw malformed("byte array past the end", column) }
            values.append(Array(bytes[position..<(position + length)]))
            position += length
        }
        return values
    }

    /// `count` INT64 values, 8 little-endian bytes each.
    static func int64s(_ bytes: [UInt8], range: Range<Int>, count: Int,
                       column: String) throws(ParquetError) -> [Int64] {
        guard count >= 0, count <= range.count / 8 else {
            throw malformed("\(count) INT64 values cannot fit in \(range.count) bytes", column)
        }
        var values: [Int64] = []
        values.reserveCapacity(count)
        var position = range.lowerBound
        for _ in 0..<count {
            var value: UInt64 = 0
            for i in 0..<8 {
                value |= UInt64(bytes[position + i]) << (8 * UInt64(i))
            }
            values.append(Int64(bitPattern: value))
            position += 8
        }
        return values
    }

    /// `count` INT32 values, 4 little-endian bytes each.
    static func int32s(_ bytes: [UInt8], range: Range<Int>, count: Int,
                       column: String) throws(ParquetError) -> [Int32] {
        guard count >= 0, count <= range.count / 4 else {
            throw malformed("\(count) INT32 values cannot fit in \(range.count) bytes", column)
        }
        var values: [Int32] = []
        values.reserveCapacity(count)
        var position = range.lowerBound
        for _ in 0..<count {
            values.append(Int32(bitPattern: readUInt32(bytes, at: position)))
            position += 4
        }
        return values
    }

    static func readUInt32(_ bytes: [UInt8], at position: Int) -> UInt32 {
        UInt32(bytes[position]) | UInt32(bytes[position + 1]) << 8
            | UInt32(bytes[position + 2]) << 16 | UInt32(bytes[position + 3]) << 24
    }

    private static func malformed(_ message: String, _ column: String) -> ParquetError {
        ParquetError(.invalidColumnData, "malformed PLAIN values: \(message)", context: ["column": column])
    }
}

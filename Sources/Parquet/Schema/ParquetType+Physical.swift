extension ParquetType {
    /// How a primitive type is stored: physical type and annotations.
    struct LeafMapping {
        var physicalType: PhysicalType
        var typeLength: Int32? = nil
        var convertedType: ConvertedType? = nil
        var logicalType: LogicalType? = nil
        var scale: Int32? = nil
        var precision: Int32? = nil
        var isString: Bool = false
        var sortOrder: SortOrder = .natural
    }

    func leafMapping(column: String) throws(ParquetError) -> LeafMapping {
        switch self {
        case .boolean: return LeafMapping(physicalType: .boolean)
        case .int32: return LeafMapping(physicalType: .int32)
        case .int64: return LeafMapping(physicalType: .int64)
        case .float: return LeafMapping(physicalType: .float)
        case .double: return LeafMapping(physicalType: .double)
        case .string:
            return LeafMapping(physicalType: .byteArray, convertedType: .utf8, logicalType: .string, isString: true)
        case .binary: return LeafMapping(physicalType: .byteArray)
        case .timestampMicrosUTC:
            return LeafMapping(physicalType: .int64, convertedType: .timestampMicros,
                               logicalType: .timestampMicros(isAdjustedToUTC: true))
        case .date: return LeafMapping(physicalType: .int32, convertedType: .date, logicalType: .date)
        case .integer(let bitWidth, let isSigned):
            let converted: ConvertedType
            switch (bitWidth, isSigned) {
            case (8, true): converted = .int8
            case (16, true): converted = .int16
            case (32, true): converted = .int32
            case (64, true): converted = .int64
            case (8, false): converted = .uint8
            case (16, false): converted = .uint16
            case (32, false): converted = .uint32
            case (64, false): converted = .uint64
            default:
                throw ParquetError(.schemaMismatch, "integer bit width must be 8, 16, 32 or 64",
                                   context: ["column": column])
            }
            return LeafMapping(physicalType: bitWidth == 64 ? .int64 : .int32, convertedType: converted,
                               logicalType: .integer(bitWidth: bitWidth, isSigned: isSigned),
                               sortOrder: isSigned ? .natural : .unsigned)
        case .uuid:
            return LeafMapping(physicalType: .fixedLenByteArray, typeLength: 16, logicalType: .uuid)
        case .decimal(let precision, let scale):
            guard (1...38).contains(precision), (0...precision).contains(scale) else {
                throw ParquetError(.schemaMismatch, "decimal needs 1 ≤ precision ≤ 38 and 0 ≤ scale ≤ precision",
                                   context: ["column": column])
            }
            var mapping = LeafMapping(physicalType: .int32, convertedType: .decimal,
                                      logicalType: .decimal(scale: scale, precision: precision),
                                      scale: scale, precision: precision)
            if precision > 18 {
                mapping.physicalType = .fixedLenByteArray
                mapping.typeLength = Int32(Self.decimalByteWidth(precision: Int(precision)))
                mapping.sortOrder = .signedBytes
            } else if precision > 9 {
                mapping.physicalType = .int64
            }
            return mapping
        case .fixedLenByteArray(let length):
            guard length > 0 else {
                throw ParquetError(.schemaMismatch, "fixed length must be positive", context: ["column": column])
            }
            return LeafMapping(physicalType: .fixedLenByteArray, typeLength: length)
        case .map, .list:
            throw ParquetError(.schemaMismatch, "nested type where a primitive was expected", context: ["column": column])
        }
    }

    /// The fewest bytes whose two's complement holds every unscaled value of `precision` digits.
    static func decimalByteWidth(precision: Int) -> Int {
        // 10^precision - 1 < 2^(8n - 1)  ⇔  n ≥ (precision · log2(10) + 1) / 8
        var width = 1
        while Double(8 * width - 1) < Double(precision) * 3.321928094887362 { width += 1 }
        return width
    }
}

/// How min/max statistics order the values of a leaf, per `ColumnOrder.TYPE_ORDER`.
enum SortOrder: Sendable, Equatable {
    /// Signed for integers, IEEE for floats, unsigned lexicographic for byte arrays.
    case natural
    /// Unsigned integers (INT(…, false)).
    case unsigned
    /// Big-endian two's complement fixed-width values (DECIMAL on FIXED_LEN_BYTE_ARRAY).
    case signedBytes
}

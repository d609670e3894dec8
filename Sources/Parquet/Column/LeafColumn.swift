/// One leaf (primitive) column of the file with its dense values and its levels for all rows.
///
/// Levels are empty when the maximum level is 0. Values are only the non-null leaf values in
/// row order, which is exactly the order Parquet stores them in.
struct LeafColumn: Sendable {
    var path: [String]
    var fieldID: Int32?
    var physicalType: PhysicalType
    /// Byte arrays holding UTF-8, so that truncated bounds must stay valid UTF-8.
    var isString: Bool
    /// How statistics order the values.
    var sortOrder: SortOrder = .natural
    var maxDefinitionLevel: UInt8
    var maxRepetitionLevel: UInt8
    var values: LeafValues
    var definitionLevels: [UInt8]
    var repetitionLevels: [UInt8]
    /// Number of level entries (Parquet `num_values` over the whole file).
    var levelCount: Int
}

/// Dense values of a leaf column, one case per physical type.
enum LeafValues: Sendable {
    case boolean([Bool])
    case int32([Int32])
    case int64([Int64])
    case float([Float])
    case double([Double])
    case byteArray(ByteArrayBuffer)
    /// Values of `width` bytes each, back to back.
    case fixed([UInt8], width: Int)

    var count: Int {
        switch self {
        case .boolean(let v): v.count
        case .int32(let v): v.count
        case .int64(let v): v.count
        case .float(let v): v.count
        case .double(let v): v.count
        case .byteArray(let v): v.count
        case .fixed(let bytes, let width): bytes.count / width
        }
    }

    /// Bytes of values `range` once PLAIN-encoded.
    func plainSize(_ range: Range<Int>) -> Int {
        switch self {
        case .boolean: (range.count + 7) / 8
        case .int32, .float: range.count * 4
        case .int64, .double: range.count * 8
        case .fixed(_, let width): range.count * width
        case .byteArray(let buffer):
            range.isEmpty ? 0
                : Int(buffer.offsets[range.upperBound] - buffer.offsets[range.lowerBound]) + 4 * range.count
        }
    }
}

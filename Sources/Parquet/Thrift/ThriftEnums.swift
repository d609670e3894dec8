// Wire enums of parquet.thrift, with their Thrift values.

/// `Type`: the physical storage type of a leaf column.
enum PhysicalType: Int32, Sendable {
    case boolean = 0
    case int32 = 1
    case int64 = 2
    case int96 = 3
    case float = 4
    case double = 5
    case byteArray = 6
    case fixedLenByteArray = 7
}

/// `ConvertedType`: the legacy logical annotation, still read by old readers.
enum ConvertedType: Int32, Sendable {
    case utf8 = 0
    case map = 1
    case mapKeyValue = 2
    case list = 3
    case decimal = 5
    case date = 6
    case timestampMicros = 10
    case uint8 = 11
    case uint16 = 12
    case uint32 = 13
    case uint64 = 14
    case int8 = 15
    case int16 = 16
    case int32 = 17
    case int64 = 18
}

/// `BoundaryOrder`: whether the page bounds of a `ColumnIndex` are sorted.
enum BoundaryOrder: Int32, Sendable {
    case unordered = 0
    case ascending = 1
    case descending = 2
}

/// `FieldRepetitionType`.
enum FieldRepetitionType: Int32, Sendable {
    case required = 0
    case optional = 1
    case repeated = 2
}

/// `Encoding` of values or levels inside a page.
enum Encoding: Int32, Sendable, Comparable {
    case plain = 0
    case plainDictionary = 2
    case rle = 3
    case bitPacked = 4
    case rleDictionary = 8

    static func < (lhs: Encoding, rhs: Encoding) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// `PageType`.
enum PageType: Int32, Sendable {
    case dataPage = 0
    case indexPage = 1
    case dictionaryPage = 2
    case dataPageV2 = 3
}

extension CompressionCodec {
    /// The Thrift `CompressionCodec` value.
    var thriftValue: Int32 {
        switch self {
        case .uncompressed: 0
        case .snappy: 1
        case .gzip: 2
        case .zstd: 6
        }
    }
}

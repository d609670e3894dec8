extension ColumnData {
    /// Number of entries (rows at the top level, children below a map or list), nulls included.
    var entryCount: Int {
        switch self {
        case .boolean(let values, let validity): validity?.count ?? values.count
        case .int32(let values, let validity): validity?.count ?? values.count
        case .int64(let values, let validity): validity?.count ?? values.count
        case .float(let values, let validity): validity?.count ?? values.count
        case .double(let values, let validity): validity?.count ?? values.count
        case .byteArray(let values, let validity): validity?.count ?? values.count
        case .fixedLenByteArray(let bytes, let width, let validity): validity?.count ?? bytes.count / max(width, 1)
        case .map(let offsets, let validity, _, _): validity?.count ?? max(offsets.count - 1, 0)
        case .list(let offsets, let validity, _): validity?.count ?? max(offsets.count - 1, 0)
        }
    }

    var validity: [Bool]? {
        switch self {
        case .boolean(_, let validity), .int32(_, let validity), .int64(_, let validity),
             .float(_, let validity), .double(_, let validity), .byteArray(_, let validity),
             .fixedLenByteArray(_, _, let validity):
            validity
        case .map(_, let validity, _, _), .list(_, let validity, _):
            validity
        }
    }
}

extension LeafValues {
    /// The dense values of a primitive column, checked against the physical type its field requires.
    init(_ data: ColumnData, expected: PhysicalType, typeLength: Int32?, column: String) throws(ParquetError) {
        switch (data, expected) {
        case (.fixedLenByteArray(let bytes, let width, _), .fixedLenByteArray):
            guard width > 0, Int32(exactly: width) == typeLength, bytes.count % width == 0 else {
                throw ParquetError(.invalidColumnData,
                                   "fixed-length values must be \(typeLength ?? 0) bytes wide and fill the buffer",
                                   context: ["column": column])
            }
            self = .fixed(bytes, width: width)
        case (.boolean(let v, _), .boolean): self = .boolean(v)
        case (.int32(let v, _), .int32): self = .int32(v)
        case (.int64(let v, _), .int64): self = .int64(v)
        case (.float(let v, _), .float): self = .float(v)
        case (.double(let v, _), .double): self = .double(v)
        case (.byteArray(let v, _), .byteArray):
            guard v.offsets.first == 0, v.offsets.count >= 1,
                  Int(v.offsets[v.offsets.count - 1]) == v.bytes.count else {
                throw ParquetError(.invalidColumnData, "byte array offsets must run from 0 to the byte count",
                                   context: ["column": column])
            }
            var previous: Int32 = 0
            for offset in v.offsets {
                guard offset >= previous else {
                    throw ParquetError(.invalidColumnData, "byte array offsets decrease", context: ["column": column])
                }
                previous = offset
            }
            self = .byteArray(v)
        default:
            throw ParquetError(.schemaMismatch, "column data does not match the field's physical type \(expected)",
                               context: ["column": column])
        }
    }
}

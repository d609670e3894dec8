extension ParquetType {
    /// How a primitive type is stored: physical type and annotations.
    struct LeafMapping {
        var physicalType: PhysicalType
        var convertedType: ConvertedType?
        var logicalType: LogicalType?
        var isString: Bool
    }

    func leafMapping(column: String) throws(ParquetError) -> LeafMapping {
        switch self {
        case .boolean: LeafMapping(physicalType: .boolean, isString: false)
        case .int32: LeafMapping(physicalType: .int32, isString: false)
        case .int64: LeafMapping(physicalType: .int64, isString: false)
        case .float: LeafMapping(physicalType: .float, isString: false)
        case .double: LeafMapping(physicalType: .double, isString: false)
        case .string: LeafMapping(physicalType: .byteArray, convertedType: .utf8, logicalType: .string, isString: true)
        case .binary: LeafMapping(physicalType: .byteArray, isString: false)
        case .timestampMicrosUTC:
            LeafMapping(physicalType: .int64, convertedType: .timestampMicros,
                        logicalType: .timestampMicros(isAdjustedToUTC: true), isString: false)
        case .date: LeafMapping(physicalType: .int32, convertedType: .date, logicalType: .date, isString: false)
        case .map, .list:
            throw ParquetError(.schemaMismatch, "nested type where a primitive was expected", context: ["column": column])
        }
    }
}

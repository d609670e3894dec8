/// `Statistics` of a column chunk or page: null count and plain-encoded bounds (fields 3, 5–8).
struct Statistics: ThriftStruct, Sendable, Equatable {
    var nullCount: Int64?
    var distinctCount: Int64?
    var maxValue: [UInt8]?
    var minValue: [UInt8]?
    var isMaxValueExact: Bool?
    var isMinValueExact: Bool?

    func write(to writer: inout CompactProtocolWriter) {
        if let nullCount { writer.writeI64(field: 3, nullCount) }
        if let distinctCount { writer.writeI64(field: 4, distinctCount) }
        if let maxValue { writer.writeBinary(field: 5, maxValue) }
        if let minValue { writer.writeBinary(field: 6, minValue) }
        if let isMaxValueExact { writer.writeBool(field: 7, isMaxValueExact) }
        if let isMinValueExact { writer.writeBool(field: 8, isMinValueExact) }
    }
}

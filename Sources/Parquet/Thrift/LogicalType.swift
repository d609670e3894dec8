/// `LogicalType`: the union annotating how a physical type is interpreted.
enum LogicalType: ThriftStruct, Sendable, Equatable {
    case string
    case map
    case list
    case date
    /// `TIMESTAMP(isAdjustedToUTC, MICROS)`.
    case timestampMicros(isAdjustedToUTC: Bool)
    case integer(bitWidth: Int8, isSigned: Bool)
    case decimal(scale: Int32, precision: Int32)
    case uuid

    func write(to writer: inout CompactProtocolWriter) {
        switch self {
        case .string:
            writer.writeEmptyStruct(field: 1)
        case .map:
            writer.writeEmptyStruct(field: 2)
        case .list:
            writer.writeEmptyStruct(field: 3)
        case .date:
            writer.writeEmptyStruct(field: 6)
        case .timestampMicros(let isAdjustedToUTC):
            writer.writeStruct(field: 8, TimestampType(isAdjustedToUTC: isAdjustedToUTC))
        case .integer(let bitWidth, let isSigned):
            writer.writeStruct(field: 10, IntType(bitWidth: bitWidth, isSigned: isSigned))
        case .decimal(let scale, let precision):
            writer.writeStruct(field: 5, DecimalType(scale: scale, precision: precision))
        case .uuid:
            writer.writeEmptyStruct(field: 14)
        }
    }

    private struct TimestampType: ThriftStruct {
        var isAdjustedToUTC: Bool

        func write(to writer: inout CompactProtocolWriter) {
            writer.writeBool(field: 1, isAdjustedToUTC)
            // TimeUnit union, member 2 = MICROS (an empty struct).
            writer.writeFieldHeader(.struct, id: 2)
            writer.beginStruct()
            writer.writeEmptyStruct(field: 2)
            writer.endStruct()
        }
    }

    private struct IntType: ThriftStruct {
        var bitWidth: Int8
        var isSigned: Bool

        func write(to writer: inout CompactProtocolWriter) {
            writer.writeI8(field: 1, bitWidth)
            writer.writeBool(field: 2, isSigned)
        }
    }

    private struct DecimalType: ThriftStruct {
        var scale: Int32
        var precision: Int32

        func write(to writer: inout CompactProtocolWriter) {
            writer.writeI32(field: 1, scale)
            writer.writeI32(field: 2, precision)
        }
    }
}

/// A value of an Avro datum; records are positional, in the order of their schema's fields.
enum AvroValue: Sendable, Hashable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    case string(String)
    case fixed([UInt8])
    case enumeration(Int)
    case array([AvroValue])
    case map([String: AvroValue])
    case record([AvroValue])

    /// `.bytes`, or `.null` for nil.
    static func optionalBytes(_ value: [UInt8]?) -> AvroValue { value.map { .bytes($0) } ?? .null }

    var int64: Int64? {
        switch self {
        case .int(let value): Int64(value)
        case .long(let value): value
        default: nil
        }
    }

    var int32: Int32? {
        switch self {
        case .int(let value): value
        case .long(let value): Int32(exactly: value)
        default: nil
        }
    }

    var bool: Bool? {
        if case .boolean(let value) = self { return value }
        return nil
    }

    var byteArray: [UInt8]? {
        switch self {
        case .bytes(let value), .fixed(let value): value
        case .string(let value): Array(value.utf8)
        default: nil
        }
    }

    var stringValue: String? {
        switch self {
        case .string(let value): value
        case .bytes(let value): String(decoding: value, as: UTF8.self)
        default: nil
        }
    }

    var arrayValue: [AvroValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var recordValue: [AvroValue]? {
        if case .record(let value) = self { return value }
        return nil
    }
}

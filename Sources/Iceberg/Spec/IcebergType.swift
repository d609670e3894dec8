/// An Iceberg data type, serialized as in the table spec's Appendix C (primitives as strings, nested types as objects).
///
/// See <https://iceberg.apache.org/spec/#schemas-and-data-types>.
public indirect enum IcebergType: Sendable, Hashable {
    case boolean
    case int
    case long
    case float
    case double
    case date
    case time
    case timestamp
    case timestamptz
    case string
    case uuid
    case binary
    /// `decimal(P,S)`.
    case decimal(precision: Int, scale: Int)
    /// `fixed[N]`, N bytes.
    case fixed(Int)
    case `struct`([NestedField])
    case list(elementId: Int32, element: IcebergType, elementRequired: Bool)
    case map(keyId: Int32, key: IcebergType, valueId: Int32, value: IcebergType, valueRequired: Bool)

    /// The spec's string for a primitive type, or nil for nested types.
    public var primitiveName: String? {
        switch self {
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .date: "date"
        case .time: "time"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .string: "string"
        case .uuid: "uuid"
        case .binary: "binary"
        case .decimal(let precision, let scale): "decimal(\(precision),\(scale))"
        case .fixed(let length): "fixed[\(length)]"
        case .struct, .list, .map: nil
        }
    }

    /// Parses a primitive type string such as `"long"`, `"decimal(9, 2)"` or `"fixed[16]"`.
    public init?(primitiveName raw: String) {
        let name = raw.filter { !$0.isWhitespace }
        switch name {
        case "boolean": self = .boolean
        case "int": self = .int
        case "long": self = .long
        case "float": self = .float
        case "double": self = .double
        case "date": self = .date
        case "time": self = .time
        case "timestamp": self = .timestamp
        case "timestamptz": self = .timestamptz
        case "string": self = .string
        case "uuid": self = .uuid
        case "binary": self = .binary
        default:
            if name.hasPrefix("decimal("), name.hasSuffix(")") {
                let parts = name.dropFirst("decimal(".count).dropLast().split(separator: ",")
                guard parts.count == 2, let precision = Int(parts[0]), let scale = Int(parts[1]) else { return nil }
                self = .decimal(precision: precision, scale: scale)
            } else if name.hasPrefix("fixed["), name.hasSuffix("]"),
                      let length = Int(name.dropFirst("fixed[".count).dropLast()) {
                self = .fixed(length)
            } else {
                return nil
            }
        }
    }

    /// The largest field id used inside this type (nested fields, list elements, map keys and values), or nil.
    var maxNestedFieldId: Int32? {
        switch self {
        case .struct(let fields):
            return fields.map { max($0.id, $0.type.maxNestedFieldId ?? $0.id) }.max()
        case .list(let elementId, let element, _):
            return max(elementId, element.maxNestedFieldId ?? elementId)
        case .map(let keyId, let key, let valueId, let value, _):
            return [keyId, valueId, key.maxNestedFieldId ?? keyId, value.maxNestedFieldId ?? valueId].max()
        default:
            return nil
        }
    }
}

extension IcebergType: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, fields, element, elementId = "element-id", elementRequired = "element-required"
        case key, keyId = "key-id", value, valueId = "value-id", valueRequired = "value-required"
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            guard let type = IcebergType(primitiveName: name) else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "unknown Iceberg type \(name)")
            }
            self = type
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .type)
        switch kind {
        case "struct":
            self = .struct(try container.decode([NestedField].self, forKey: .fields))
        case "list":
            self = .list(
                elementId: try container.decode(Int32.self, forKey: .elementId),
                element: try container.decode(IcebergType.self, forKey: .element),
                elementRequired: try container.decode(Bool.self, forKey: .elementRequired))
        case "map":
            self = .map(
                keyId: try container.decode(Int32.self, forKey: .keyId),
                key: try container.decode(IcebergType.self, forKey: .key),
                valueId: try container.decode(Int32.self, forKey: .valueId),
                value: try container.decode(IcebergType.self, forKey: .value),
                valueRequired: try container.decode(Bool.self, forKey: .valueRequired))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown nested type \(kind)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .struct(let fields):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("struct", forKey: .type)
            try container.encode(fields, forKey: .fields)
        case .list(let elementId, let element, let elementRequired):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("list", forKey: .type)
            try container.encode(elementId, forKey: .elementId)
            try container.encode(element, forKey: .element)
            try container.encode(elementRequired, forKey: .elementRequired)
        case .map(let keyId, let key, let valueId, let value, let valueRequired):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("map", forKey: .type)
            try container.encode(keyId, forKey: .keyId)
            try container.encode(key, forKey: .key)
            try container.encode(valueId, forKey: .valueId)
            try container.encode(value, forKey: .value)
            try container.encode(valueRequired, forKey: .valueRequired)
        default:
            var container = encoder.singleValueContainer()
            try container.encode(primitiveName ?? "")
        }
    }
}

/// A JSON value of the config file, before the settings table gives it a type.
enum ConfigFileValue: Decodable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ConfigFileValue])
    case object([String: ConfigFileValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ConfigFileValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ConfigFileValue].self))
        }
    }

    /// Every value that is not an object, by its dotted path (`buffer.size`), sorted by path.
    func leaves(prefix: String = "") -> [(key: String, value: ConfigFileValue)] {
        guard case .object(let members) = self else { return [(prefix, self)] }
        return members.sorted { $0.key < $1.key }.flatMap { name, value in
            value.leaves(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .object: "an object"
        }
    }
}

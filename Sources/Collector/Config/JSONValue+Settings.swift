import Iceberg

/// Reading the config file's JSON (``Iceberg/JSONValue``) for the settings table.
extension JSONValue {
    /// Every value that is not an object, by its dotted path (`buffer.size`), sorted by path.
    func leaves(prefix: String = "") -> [(key: String, value: JSONValue)] {
        guard case .object(let members) = self else { return [(prefix, self)] }
        return members.sorted { $0.key < $1.key }.flatMap { name, value in
            value.leaves(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
    }

    /// The value as the config file spells it, for error messages.
    var settingText: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .int(let value): "\(value)"
        case .double(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(let values): "[" + values.map(\.settingText).joined(separator: ", ") + "]"
        case .object: "an object"
        }
    }
}

import Foundation
import FloeSupport

extension AvroSchema {
    /// The schema as compact JSON with a fixed key order, as stored under `avro.schema`.
    var json: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "\"null\""
        case .boolean: out += "\"boolean\""
        case .int: out += "\"int\""
        case .long: out += "\"long\""
        case .float: out += "\"float\""
        case .double: out += "\"double\""
        case .bytes: out += "\"bytes\""
        case .string: out += "\"string\""
        case .logical(let base, let logicalType, let adjustToUTC):
            out += "{\"type\":"
            base.write(to: &out)
            out += ",\"logicalType\":" + JSONString.quoted(logicalType)
            if let adjustToUTC { out += ",\"adjust-to-utc\":\(adjustToUTC)" }
            out += "}"
        case .fixed(let name, let size, let logicalType):
            out += "{\"type\":\"fixed\",\"name\":" + JSONString.quoted(name) + ",\"size\":\(size)"
            if let logicalType { out += ",\"logicalType\":" + JSONString.quoted(logicalType) }
            out += "}"
        case .enumeration(let name, let symbols):
            out += "{\"type\":\"enum\",\"name\":" + JSONString.quoted(name) + ",\"symbols\":["
            out += symbols.map(JSONString.quoted).joined(separator: ",") + "]}"
        case .record(let name, let fields):
            out += "{\"type\":\"record\",\"name\":" + JSONString.quoted(name) + ",\"fields\":["
            for (index, field) in fields.enumerated() {
                if index > 0 { out += "," }
                out += "{\"name\":" + JSONString.quoted(field.name) + ",\"type\":"
                field.type.write(to: &out)
                if let doc = field.doc { out += ",\"doc\":" + JSONString.quoted(doc) }
                if field.defaultNull { out += ",\"default\":null" }
                if let id = field.fieldId { out += ",\"field-id\":\(id)" }
                out += "}"
            }
            out += "]}"
        case .array(let items, let elementId, let logicalType):
            out += "{\"type\":\"array\",\"items\":"
            items.write(to: &out)
            if let elementId { out += ",\"element-id\":\(elementId)" }
            if let logicalType { out += ",\"logicalType\":" + JSONString.quoted(logicalType) }
            out += "}"
        case .map(let values, let keyId, let valueId):
            out += "{\"type\":\"map\",\"values\":"
            values.write(to: &out)
            if let keyId { out += ",\"key-id\":\(keyId)" }
            if let valueId { out += ",\"value-id\":\(valueId)" }
            out += "}"
        case .union(let branches):
            out += "["
            for (index, branch) in branches.enumerated() {
                if index > 0 { out += "," }
                branch.write(to: &out)
            }
            out += "]"
        }
    }

    /// Parses a writer schema from a container header.
    ///
    /// - Throws: ``CatalogError`` `invalidMetadata` for malformed or unsupported schemas.
    init(json: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        } catch {
            throw CatalogError(.invalidMetadata, "Avro schema is not JSON")
        }
        var named: [String: AvroSchema] = [:]
        self = try Self.parse(object, named: &named)
    }

    private static func invalid(_ what: String) -> CatalogError {
        CatalogError(.invalidMetadata, "unsupported Avro schema", context: ["schema": what])
    }

    private static func parse(_ object: Any, named: inout [String: AvroSchema]) throws -> AvroSchema {
        if let name = object as? String {
            switch name {
            case "null": return .null
            case "boolean": return .boolean
            case "int": return .int
            case "long": return .long
            case "float": return .float
            case "double": return .double
            case "bytes": return .bytes
            case "string": return .string
            default:
                guard let schema = named[name] ?? named.first(where: { $0.key.hasSuffix("." + name) })?.value else {
                    throw invalid(name)
                }
                return schema
            }
        }
        if let branches = object as? [Any] {
            return .union(try branches.map { try parse($0, named: &named) })
        }
        guard let dict = object as? [String: Any] else { throw invalid("\(object)") }
        let type = dict["type"]
        let logicalType = dict["logicalType"] as? String
        guard let typeName = type as? String else {
            guard let type else { throw invalid("missing type") }
            return try parse(type, named: &named)
        }
        func int32(_ key: String) -> Int32? { (dict[key] as? Int).map { Int32(truncatingIfNeeded: $0) } }
        switch typeName {
        case "record", "error":
            let name = dict["name"] as? String ?? "record"
            var fields: [AvroField] = []
            for case let field as [String: Any] in dict["fields"] as? [Any] ?? [] {
                guard let fieldName = field["name"] as? String, let fieldType = field["type"] else { throw invalid(name) }
                fields.append(AvroField(name: fieldName, type: try parse(fieldType, named: &named),
                                        fieldId: (field["field-id"] as? Int).map { Int32(truncatingIfNeeded: $0) },
                                        doc: field["doc"] as? String))
            }
            let schema = AvroSchema.record(name: name, fields: fields)
            named[name] = schema
            return schema
        case "array":
            guard let items = dict["items"] else { throw invalid("array without items") }
            return .array(items: try parse(items, named: &named), elementId: int32("element-id"), logicalType: logicalType)
        case "map":
            guard let values = dict["values"] else { throw invalid("map without values") }
            return .map(values: try parse(values, named: &named), keyId: int32("key-id"), valueId: int32("value-id"))
        case "fixed":
            guard let name = dict["name"] as? String, let size = dict["size"] as? Int else { throw invalid("fixed") }
            let schema = AvroSchema.fixed(name: name, size: size, logicalType: logicalType)
            named[name] = schema
            return schema
        case "enum":
            guard let name = dict["name"] as? String, let symbols = dict["symbols"] as? [String] else { throw invalid("enum") }
            let schema = AvroSchema.enumeration(name: name, symbols: symbols)
            named[name] = schema
            return schema
        default:
            let base = try parse(typeName, named: &named)
            if let logicalType, base == .int || base == .long {
                return .logical(base: base, logicalType: logicalType, adjustToUTC: dict["adjust-to-utc"] as? Bool)
            }
            return base
        }
    }
}

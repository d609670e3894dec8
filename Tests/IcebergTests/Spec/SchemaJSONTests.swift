import Foundation
@testable import Iceberg
import Testing

@Suite("Schema JSON")
struct SchemaJSONTests {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test("types serialize as the spec's Appendix C", arguments: [
        (IcebergType.string, #""string""#), (.timestamptz, #""timestamptz""#), (.decimal(precision: 9, scale: 2), #""decimal(9,2)""#),
        (.fixed(16), #""fixed[16]""#), (.uuid, #""uuid""#),
        (.list(elementId: 3, element: .long, elementRequired: true),
         #"{"element":"long","element-id":3,"element-required":true,"type":"list"}"#),
        (.map(keyId: 27, key: .string, valueId: 28, value: .string, valueRequired: false),
         #"{"key":"string","key-id":27,"type":"map","value":"string","value-id":28,"value-required":false}"#),
    ])
    func typeJSON(type: IcebergType, json: String) throws {
        #expect(try Self.encode(type) == json)
        #expect(try JSONDecoder().decode(IcebergType.self, from: Data(json.utf8)) == type)
    }

    @Test("type strings with spaces are accepted")
    func lenientPrimitives() {
        #expect(IcebergType(primitiveName: "decimal(9, 2)") == .decimal(precision: 9, scale: 2))
        #expect(IcebergType(primitiveName: "varchar") == nil)
    }

    @Test("a schema round-trips and knows its highest field id")
    func schemaRoundTrip() throws {
        let schema = Schema(schemaId: 0, fields: [
            NestedField(id: 1, name: "id", required: true, type: .string, doc: "event id"),
            NestedField(id: 10, name: "extensions", required: false,
                        type: .map(keyId: 27, key: .string, valueId: 28, value: .string, valueRequired: false)),
            NestedField(id: 11, name: "tags", required: false,
                        type: .struct([NestedField(id: 30, name: "a", required: false, type: .int)])),
        ])
        let json = try Self.encode(schema)
        #expect(json.hasPrefix(#"{"fields":[{"doc":"event id","id":1,"name":"id","required":true,"type":"string"}"#))
        #expect(json.contains(#""schema-id":0"#) && json.contains(#""type":"struct""#))
        #expect(try JSONDecoder().decode(Schema.self, from: Data(json.utf8)) == schema)
        #expect(schema.highestFieldId == 30)
        #expect(EventsTable.schema.highestFieldId == 17)
    }

    @Test("partition fields give the transform's result type", arguments: [
        ("identity", IcebergType.string, IcebergType?.some(.string)), ("hour", .timestamptz, .int), ("day", .timestamptz, .date),
        ("bucket[16]", .string, .int), ("truncate[4]", .string, .string), ("zorder", .string, nil),
    ])
    func transformResult(transform: String, source: IcebergType, result: IcebergType?) {
        #expect(PartitionField(sourceId: 1, fieldId: 1000, name: "p", transform: transform).resultType(sourceType: source) == result)
    }
}

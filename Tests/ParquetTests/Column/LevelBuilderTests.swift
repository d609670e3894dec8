@testable import Parquet
import Testing

@Suite("LevelBuilder")
struct LevelBuilderTests {
    private func strings(_ values: [String]) -> ByteArrayBuffer {
        var buffer = ByteArrayBuffer()
        for value in values { buffer.append(Array(value.utf8)) }
        return buffer
    }

    @Test("optional flat columns get validity as definition levels")
    func flat() throws {
        let schema = ParquetSchema(fields: [
            ParquetField(name: "a", fieldId: 1, type: .int64, isRequired: false),
            ParquetField(name: "b", fieldId: 2, type: .int64, isRequired: true),
        ])
        let leaves = try LevelBuilder.leaves(schema: schema, columns: [
            .int64([1, 3], validity: [true, false, true]), .int64([1, 2, 3], validity: nil),
        ], rowCount: 3)
        #expect(leaves[0].definitionLevels == [1, 0, 1])
        #expect(leaves[0].maxDefinitionLevel == 1)
        #expect(leaves[1].definitionLevels.isEmpty && leaves[1].maxDefinitionLevel == 0)
    }

    @Test("a map shreds into key and value levels")
    func map() throws {
        let schema = ParquetSchema(fields: [ParquetField(
            name: "m", fieldId: 1,
            type: .map(key: ParquetField(name: "key", fieldId: 2, type: .string, isRequired: true),
                       value: ParquetField(name: "value", fieldId: 3, type: .string, isRequired: false)),
            isRequired: false)])
        // Rows: null, {}, {k1: v1, k2: null}
        let column = ColumnData.map(offsets: [0, 0, 0, 2], validity: [false, true, true],
                                    keys: .byteArray(strings(["k1", "k2"]), validity: nil),
                                    values: .byteArray(strings(["v1"]), validity: [true, false]))
        let leaves = try LevelBuilder.leaves(schema: schema, columns: [column], rowCount: 3)
        #expect(leaves.map(\.path) == [["m", "key_value", "key"], ["m", "key_value", "value"]])
        #expect(leaves[0].repetitionLevels == [0, 0, 0, 1])
        #expect(leaves[0].definitionLevels == [0, 1, 2, 2])
        #expect(leaves[0].maxDefinitionLevel == 2 && leaves[0].maxRepetitionLevel == 1)
        #expect(leaves[1].definitionLevels == [0, 1, 3, 2])
        #expect(leaves[1].maxDefinitionLevel == 3)
    }

    @Test("a list shreds into element levels")
    func list() throws {
        let schema = ParquetSchema(fields: [ParquetField(
            name: "l", fieldId: 1,
            type: .list(element: ParquetField(name: "element", fieldId: 2, type: .int64, isRequired: false)),
            isRequired: false)])
        // Rows: [1, null], null, []
        let column = ColumnData.list(offsets: [0, 2, 2, 2], validity: [true, false, true],
                                     elements: .int64([1], validity: [true, false]))
        let leaves = try LevelBuilder.leaves(schema: schema, columns: [column], rowCount: 3)
        #expect(leaves[0].definitionLevels == [3, 2, 0, 1])
        #expect(leaves[0].repetitionLevels == [0, 1, 0, 0])
        #expect(leaves[0].levelCount == 4)
    }

    struct Mismatch: Sendable, CustomStringConvertible {
        var description: String
        var field: ParquetField
        var column: ColumnData
        var code: ParquetError.Code
    }

    @Test("inconsistent columns are rejected", arguments: [
        Mismatch(description: "wrong case", field: ParquetField(name: "a", fieldId: 1, type: .string, isRequired: true),
                 column: .int64([1, 2], validity: nil), code: .schemaMismatch),
        Mismatch(description: "nulls in a required field",
                 field: ParquetField(name: "a", fieldId: 1, type: .int64, isRequired: true),
                 column: .int64([1], validity: [true, false]), code: .invalidColumnData),
        Mismatch(description: "too few values", field: ParquetField(name: "a", fieldId: 1, type: .int64, isRequired: false),
                 column: .int64([1], validity: [true, true]), code: .invalidColumnData),
        Mismatch(description: "wrong row count", field: ParquetField(name: "a", fieldId: 1, type: .int32, isRequired: true),
                 column: .int32([1, 2, 3], validity: nil), code: .invalidColumnData),
        Mismatch(description: "a null list with children",
                 field: ParquetField(name: "l", fieldId: 1,
                                     type: .list(element: ParquetField(name: "element", fieldId: 2, type: .int64,
                                                                       isRequired: true)), isRequired: false),
                 column: .list(offsets: [0, 1, 1], validity: [false, true], elements: .int64([5], validity: nil)),
                 code: .invalidColumnData),
    ])
    func mismatch(_ m: Mismatch) {
        let schema = ParquetSchema(fields: [m.field])
        #expect(throws: ParquetError.self) {
            try LevelBuilder.leaves(schema: schema, columns: [m.column], rowCount: 2)
        }
        do {
            _ = try LevelBuilder.leaves(schema: schema, columns: [m.column], rowCount: 2)
        } catch {
            #expect(error.code == m.code, "\(error)")
        }
    }
}

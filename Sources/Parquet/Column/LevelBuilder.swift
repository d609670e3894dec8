/// Turns top-level columns into leaf columns with definition and repetition levels (Dremel shredding).
///
/// Implements the nested encoding of
/// [the Parquet format](https://github.com/apache/parquet-format#nested-encoding) for the
/// three-level MAP and LIST layouts of
/// [LogicalTypes.md](https://github.com/apache/parquet-format/blob/master/LogicalTypes.md#nested-types).
/// Flat columns take a fast path: their definition levels are the validity as bytes.
enum LevelBuilder {
    /// Levels of the entries one nesting level down; `index` -1 marks an entry that stops above.
    private struct Slots {
        var repetition: [UInt8] = []
        var definition: [UInt8] = []
        var index: [Int32] = []

        init(capacity: Int) {
            repetition.reserveCapacity(capacity)
            definition.reserveCapacity(capacity)
            index.reserveCapacity(capacity)
        }

        mutating func append(repetition r: UInt8, definition d: UInt8, index i: Int32) {
            repetition.append(r)
            definition.append(d)
            index.append(i)
        }
    }

    static func leaves(schema: ParquetSchema, columns: [ColumnData], rowCount: Int) throws(ParquetError) -> [LeafColumn] {
        guard columns.count == schema.fields.count else {
            throw ParquetError(.schemaMismatch,
                               "schema has \(schema.fields.count) fields but \(columns.count) columns were given")
        }
        guard rowCount >= 0 else { throw ParquetError(.invalidColumnData, "negative row count") }
        var leaves: [LeafColumn] = []
        for (field, data) in zip(schema.fields, columns) {
            let entries = data.entryCount
            guard entries == rowCount else {
                throw ParquetError(.invalidColumnData, "column has \(entries) entries for \(rowCount) rows",
                                   context: ["column": field.name])
            }
            try visit(field: field, data: data, path: [field.name], parentDefinition: 0, parentRepetition: 0,
                      slots: nil, rowCount: rowCount, into: &leaves)
        }
        return leaves
    }

    private static func visit(field: ParquetField, data: ColumnData, path: [String], parentDefinition: UInt8,
                              parentRepetition: UInt8, slots: Slots?, rowCount: Int,
                              into leaves: inout [LeafColumn]) throws(ParquetError) {
        let column = path.joined(separator: ".")
        let definition = parentDefinition + (field.isRequired ? 0 : 1)
        let validity = data.validity
        if field.isRequired, let validity, validity.contains(false) {
            throw ParquetError(.invalidColumnData, "required field has nulls", context: ["column": column])
        }
        switch field.type {
        case .map(let keyField, let valueField):
            guard case .map(let offsets, _, let keys, let values) = data else {
                throw ParquetError(.schemaMismatch, "map field needs map column data", context: ["column": column])
            }
            guard keyField.isRequired else {
                throw ParquetError(.schemaMismatch, "map keys must be required", context: ["column": column])
            }
            let children = try expand(offsets: offsets, validity: validity, childCount: keys.entryCount,
                                      definition: definition, repetition: parentRepetition, slots: slots,
                                      rowCount: rowCount, column: column)
            guard values.entryCount == keys.entryCount else {
                throw ParquetError(.invalidColumnData, "map has \(keys.entryCount) keys but \(values.entryCount) values",
                                   context: ["column": column])
            }
            let groupPath = path + ["key_value"]
            try visit(field: keyField, data: keys, path: groupPath + [keyField.name],
                      parentDefinition: definition + 1, parentRepetition: parentRepetition + 1,
                      slots: children, rowCount: rowCount, into: &leaves)
            try visit(field: valueField, data: values, path: groupPath + [valueField.name],
                      parentDefinition: definition + 1, parentRepetition: parentRepetition + 1,
                      slots: children, rowCount: rowCount, into: &leaves)
        case .list(let elementField):
            guard case .list(let offsets, _, let elements) = data else {
                throw ParquetError(.schemaMismatch, "list field needs list column data", context: ["column": column])
            }
            let children = try expand(offsets: offsets, validity: validity, childCount: elements.entryCount,
                                      definition: definition, repetition: parentRepetition, slots: slots,
                                      rowCount: rowCount, column: column)
            try visit(field: elementField, data: elements, path: path + ["list", elementField.name],
                      parentDefinition: definition + 1, parentRepetition: parentRepetition + 1,
                      slots: children, rowCount: rowCount, into: &leaves)
        default:
            let mapping = try field.type.leafMapping(column: column)
            let values = try LeafValues(data, expected: mapping.physicalType, typeLength: mapping.typeLength,
                                        column: column)
            let validCount = validity.map(Self.countTrue) ?? data.entryCount
            guard values.count == validCount else {
                throw ParquetError(.invalidColumnData,
                                   "column has \(values.count) values but \(validCount) non-null entries",
                                   context: ["column": column])
            }
            if case .integer(let bitWidth, let isSigned) = field.type, bitWidth < 32, case .int32(let v) = values {
                // Readers cast INT(8/16) to narrow types: a value out of range would wrap there.
                let range: ClosedRange<Int32> = isSigned
                    ? -(Int32(1) << (bitWidth - 1))...((Int32(1) << (bitWidth - 1)) - 1)
                    : 0...((Int32(1) << bitWidth) - 1)
                guard !v.contains(where: { !range.contains($0) }) else {
                    throw ParquetError(.invalidColumnData, "value out of range for INT(\(bitWidth), \(isSigned))",
                                       context: ["column": column])
                }
            }
            var definitionLevels: [UInt8] = []
            var repetitionLevels: [UInt8] = []
            let levelCount: Int
            if let slots {
                levelCount = slots.index.count
                repetitionLevels = slots.repetition
                if definition > 0 {
                    // Slots that stop above keep their level; the others are this leaf's entries.
                    definitionLevels = slots.definition
                    for (position, index) in slots.index.enumerated() where index >= 0 {
                        let isValid = validity?[Int(index)] ?? true
                        definitionLevels[position] = isValid ? definition : parentDefinition
                    }
                }
            } else {
                levelCount = rowCount
                if definition > 0 {
                    if let validity {
                        // Bool is stored as one byte, 0 or 1: exactly the levels of a flat optional column.
                        definitionLevels = validity.withUnsafeBytes { Array($0) }
                    } else {
                        definitionLevels = Array(repeating: 1, count: rowCount)
                    }
                }
            }
            leaves.append(LeafColumn(path: path, fieldID: field.fieldId, physicalType: mapping.physicalType,
                                     isString: mapping.isString, sortOrder: mapping.sortOrder, maxDefinitionLevel: definition,
                                     maxRepetitionLevel: parentRepetition, values: values,
                                     definitionLevels: definitionLevels, repetitionLevels: repetitionLevels,
                                     levelCount: levelCount))
        }
    }

    private static func countTrue(_ flags: [Bool]) -> Int {
        flags.withUnsafeBytes { bytes in
            var count = 0
            for byte in bytes { count &+= Int(byte) }
            return count
        }
    }

    /// Levels of the children of a map or list, one slot per child entry or per empty/null parent.
    private static func expand(offsets: [Int32], validity: [Bool]?, childCount: Int, definition: UInt8,
                               repetition: UInt8, slots: Slots?, rowCount: Int,
                               column: String) throws(ParquetError) -> Slots {
        let parentCount = slots?.index.count ?? rowCount
        let entryCount = offsets.count - 1
        guard entryCount >= 0, offsets.first == 0, Int(offsets[entryCount]) == childCount else {
            throw ParquetError(.invalidColumnData, "offsets must start at 0 and end at the child count",
                               context: ["column": column])
        }
        if let validity, validity.count != entryCount {
            throw ParquetError(.invalidColumnData, "validity and offsets disagree on the entry count",
                               context: ["column": column])
        }
        var children = Slots(capacity: childCount + parentCount)
        for position in 0..<parentCount {
            let rep = slots?.repetition[position] ?? 0
            let index = slots.map { Int($0.index[position]) } ?? position
            guard index >= 0 else {
                children.append(repetition: rep, definition: slots?.definition[position] ?? 0, index: -1)
                continue
            }
            let start = Int(offsets[index])
            let end = Int(offsets[index + 1])
            guard start <= end else {
                throw ParquetError(.invalidColumnData, "offsets decrease", context: ["column": column])
            }
            if let validity, !validity[index] {
                guard start == end else {
                    throw ParquetError(.invalidColumnData, "a null entry has children", context: ["column": column])
                }
                children.append(repetition: rep, definition: definition - (definition > 0 ? 1 : 0), index: -1)
                continue
            }
            if start == end {
                children.append(repetition: rep, definition: definition, index: -1)
                continue
            }
            for child in start..<end {
                children.append(repetition: child == start ? rep : repetition + 1, definition: definition + 1,
                                index: Int32(child))
            }
        }
        return children
    }
}

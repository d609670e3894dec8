import Iceberg

/// Whether an existing table is one Floe can write as a ``TableDefinition`` writes: Floe puts the definition's
/// field ids into every Parquet file and computes partition values by the definition's spec, so a table another
/// writer created with other ids, types or partitioning would get values under the wrong columns or partitions
/// (docs/design.md §2). Such a table is refused with what differs, before anything is written.
extension TableDefinition {
    /// What keeps Floe from writing to the table of `metadata`, one line each; empty when nothing does. Columns
    /// the table lacks are not listed (schema evolution adds them).
    func incompatibilities(with metadata: TableMetadata) -> [String] {
        let fields = metadata.currentSchema?.fields ?? []
        let byName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let byId = Dictionary(fields.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var problems: [String] = []
        for wanted in icebergSchema.fields {
            if let field = byName[wanted.name] {
                if field.id != wanted.id {
                    problems.append("column \(wanted.name) has field id \(field.id); Floe writes it with id \(wanted.id)")
                } else if field.type != wanted.type {
                    problems.append("column \(wanted.name) is \(Self.describe(field.type)); Floe writes \(Self.describe(wanted.type))")
                } else if field.required && !wanted.required {
                    problems.append("column \(wanted.name) is required; Floe may leave it null")
                }
            } else if let other = byId[wanted.id] {
                problems.append("field id \(wanted.id) is column \(other.name); Floe writes \(wanted.name) with that id")
            }
        }
        let spec = metadata.defaultSpec?.fields.map { "\($0.transform)(\(Self.name(of: $0.sourceId, in: byId)))" } ?? []
        let wantedSpec = partitionSpec.fields.map { "\($0.transform)(\(Self.name(of: $0.sourceId, in: byId)))" }
        if spec != wantedSpec {
            problems.append("the table is partitioned by [\(spec.joined(separator: ", "))]; "
                            + "Floe partitions by [\(wantedSpec.joined(separator: ", "))]")
        }
        return problems
    }

    /// ``incompatibilities(with:)`` as an error; nil when there are none.
    func incompatibility(with table: Table) -> CatalogError? {
        let problems = incompatibilities(with: table.metadata)
        guard !problems.isEmpty else { return nil }
        return CatalogError(.rejected, "the table was not created with the columns and partitioning Floe writes ("
                            + problems.joined(separator: "; ") + "); drop it or use another namespace",
                            context: ["table": table.identifier.description])
    }

    private static func name(of fieldId: Int32, in fields: [Int32: NestedField]) -> String {
        fields[fieldId]?.name ?? "field \(fieldId)"
    }

    private static func describe(_ type: IcebergType) -> String {
        switch type {
        case .map(let keyId, _, let valueId, _, _): "a map with key id \(keyId) and value id \(valueId)"
        case .list(let elementId, _, _): "a list with element id \(elementId)"
        case .struct: "a struct"
        default: type.primitiveName ?? "\(type)"
        }
    }
}

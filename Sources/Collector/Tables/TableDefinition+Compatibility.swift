import Iceberg

/// How Floe writes a table it did not necessarily create: with the table's own field ids, taken by column name
/// (a REST catalog assigns fresh ids when it creates a table, top-level columns first, so `cloudevents`' nested
/// ids differ from the definition's), and only when the table's columns have the definition's types and its
/// default spec is the definition's partitioning; another table is refused with what differs, before anything is
/// written, since Floe's values would land in the wrong columns or partitions (docs/design.md §2).
extension TableDefinition {
    /// This definition with the field ids of the same-named columns of `metadata`'s current schema (and their
    /// map key and value, list element ids); columns the table lacks keep the definition's.
    func withFieldIds(of metadata: TableMetadata) -> TableDefinition {
        guard let fields = metadata.currentSchema?.fields else { return self }
        let byName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var remapped = self
        for index in remapped.columns.indices {
            guard let field = byName[remapped.columns[index].name] else { continue }
            remapped.columns[index].id = field.id
            switch (remapped.columns[index].kind, field.type) {
            case (.stringMap, .map(let keyId, _, let valueId, _, _)):
                remapped.columns[index].kind = .stringMap(keyId: keyId, valueId: valueId)
            case (.stringList, .list(let elementId, _, _)):
                remapped.columns[index].kind = .stringList(elementId: elementId)
            default:
                break
            }
        }
        return remapped
    }

    /// What keeps Floe from writing to the table of `metadata`, one line each; empty when nothing does. Columns
    /// the table lacks are not listed (schema evolution adds them); field ids are the table's (``withFieldIds(of:)``).
    func incompatibilities(with metadata: TableMetadata) -> [String] {
        let fields = metadata.currentSchema?.fields ?? []
        let byName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let byId = Dictionary(fields.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var problems: [String] = []
        for wanted in withFieldIds(of: metadata).icebergSchema.fields {
            guard let field = byName[wanted.name] else { continue }
            if field.type != wanted.type {
                problems.append("column \(wanted.name) is \(Self.describe(field.type)); Floe writes \(Self.describe(wanted.type))")
            } else if field.required && !wanted.required {
                problems.append("column \(wanted.name) is required; Floe may leave it null")
            }
        }
        let spec = metadata.defaultSpec?.fields.map { "\($0.transform)(\(byId[$0.sourceId]?.name ?? "field \($0.sourceId)"))" } ?? []
        let names = Dictionary(columns.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let wantedSpec = partitionSpec.fields.map { "\($0.transform)(\(names[$0.sourceId] ?? "field \($0.sourceId)"))" }
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
        return CatalogError(.rejected, "the table does not have the column types and partitioning Floe writes ("
                            + problems.joined(separator: "; ") + "); drop it or use another namespace",
                            context: ["table": table.identifier.description])
    }

    private static func describe(_ type: IcebergType) -> String {
        switch type {
        case .map(_, let key, _, let value, let valueRequired):
            "map<\(describe(key)), \(describe(value))>" + (valueRequired ? " with required values" : "")
        case .list(_, let element, let elementRequired):
            "list<\(describe(element))>" + (elementRequired ? "" : " with optional elements")
        case .struct: "a struct"
        default: type.primitiveName ?? "\(type)"
        }
    }
}

extension Catalog {
    /// The table with every top-level field of `wanted` that its current schema lacks (by name)
    /// added, by a schema-evolution commit (`add-schema` and `set-current-schema`, guarded by the
    /// current schema id). A field keeps `wanted`'s id when that is above every id the table used,
    /// else gets the next free one; nested types are not added (their inner ids would clash).
    /// Existing fields are left as they are; files written before have no such column and readers
    /// see null there. Returns `table` itself when nothing
    /// is missing. A concurrent change of the schema (409) is retried on the new metadata.
    public func addingMissingFields(of wanted: Schema, to table: Table, attempts: Int = 4) async throws -> Table {
        var table = table
        for attempt in 1...max(1, attempts) {
            let metadata = table.metadata
            guard let current = metadata.currentSchema else {
                throw CatalogError(.invalidArgument, "table has no current schema", context: ["table": table.identifier.description])
            }
            // By name: a REST catalog may have renumbered the fields when it created the table.
            let names = Set(current.fields.map(\.name))
            let missing = wanted.fields.filter { !names.contains($0.name) && $0.type.maxNestedFieldId == nil }
            guard !missing.isEmpty else { return table }
            // New ids are above every id the table ever used: `wanted`'s when it is, else the next free one.
            var lastId = max(metadata.lastColumnId, current.highestFieldId)
            let added = missing.map { field in
                var optional = field
                optional.required = false  // a required column cannot be added to existing rows
                if optional.id <= lastId { optional.id = lastId + 1 }
                lastId = max(lastId, optional.id)
                return optional
            }
            let evolved = Schema(schemaId: (metadata.schemas.map(\.schemaId).max() ?? 0) + 1,
                                 fields: current.fields + added, identifierFieldIds: current.identifierFieldIds)
            do {
                return try await commit(table.identifier,
                                        requirements: [.assertCurrentSchemaID(current.schemaId)],
                                        updates: [.addSchema(evolved, lastColumnId: max(metadata.lastColumnId, evolved.highestFieldId)),
                                                  .setCurrentSchema(-1)])
            } catch let error as CatalogError where error.code == .conflict && attempt < attempts {
                table = try await loadTable(table.identifier)
            }
        }
        return table
    }
}

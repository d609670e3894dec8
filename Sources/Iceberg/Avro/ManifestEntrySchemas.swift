/// The `manifest_entry` schema of each partition spec of a table, built once per spec: the target that
/// ``ManifestReader`` conforms entries to when a reader walks every manifest of a snapshot.
struct ManifestEntrySchemas {
    let metadata: TableMetadata
    private var schemas: [Int32: AvroSchema] = [:]

    init(metadata: TableMetadata) {
        self.metadata = metadata
    }

    /// The entry schema for `manifest`'s partition spec, with the table's current schema.
    ///
    /// - Throws: ``CatalogError`` `invalidMetadata` when the table lacks its current schema or the spec.
    mutating func schema(for manifest: ManifestFile) throws -> AvroSchema {
        if let known = schemas[manifest.partitionSpecId] { return known }
        guard let schema = metadata.currentSchema else {
            throw CatalogError(.invalidMetadata, "table metadata lacks its current schema")
        }
        guard let spec = metadata.partitionSpecs.first(where: { $0.specId == manifest.partitionSpecId }) else {
            throw CatalogError(.invalidMetadata, "manifest names an unknown partition spec",
                               context: ["manifest": manifest.manifestPath])
        }
        let entry = try ManifestWriter(schema: schema, spec: spec).entrySchema()
        schemas[manifest.partitionSpecId] = entry
        return entry
    }
}

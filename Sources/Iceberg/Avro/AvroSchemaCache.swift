import Synchronization

/// Writer schemas already parsed from container headers, by their JSON text.
///
/// Every manifest and manifest list carries its schema as JSON in its header, and the files of one
/// table all carry the same few. Parsing it (JSONSerialization, then the schema tree) was about a
/// third of the CPU time of a manifest merge, which reads a hundred manifests in one commit
/// (Benchmarks/README.md, session 17). Bounded: past ``capacity`` distinct texts it starts over.
enum AvroSchemaCache {
    static let capacity = 64

    private static let parsed = Mutex([String: AvroSchema]())

    /// The schema `json` describes, parsed once per distinct text.
    ///
    /// - Throws: ``CatalogError`` `invalidMetadata` for malformed or unsupported schemas (never cached).
    static func schema(json: String) throws -> AvroSchema {
        if let known = parsed.withLock({ $0[json] }) { return known }
        let schema = try AvroSchema(json: json)
        parsed.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[json] = schema
        }
        return schema
    }
}

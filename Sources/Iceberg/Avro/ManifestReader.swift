/// Reads the live entries of a data manifest written by any v2 writer, resolving inherited values.
///
/// Used to list live files and to merge and rewrite manifests: each entry comes back as `manifest_entry` fields conformed to
/// ``ManifestWriter/entrySchema()``, with status, snapshot id and both sequence numbers made explicit.
struct ManifestReader: Sendable {
    /// A live entry, ready to be rewritten as EXISTING or DELETED.
    struct Entry: Sendable {
        var snapshotId: Int64
        var sequenceNumber: Int64
        var fileSequenceNumber: Int64
        /// The `data_file` record, conformed to the target schema.
        var dataFile: AvroValue
        var partition: [PartitionValue]
        var recordCount: Int64
        /// `file_path` of the data or delete file.
        var filePath: String
        /// `file_size_in_bytes`.
        var fileSizeInBytes: Int64
        /// `content`: 0 data, 1 position deletes, 2 equality deletes.
        var content: Int32
    }

    /// Hands each entry of `manifest` whose status is not DELETED to `body`, one at a time.
    ///
    /// - Throws: ``CatalogError`` `invalidMetadata` when the manifest cannot be read or conformed.
    static func forEachLiveEntry(_ bytes: [UInt8], manifest: ManifestFile, target: AvroSchema,
                                 _ body: (Entry) throws -> Void) throws {
        guard let targetDataFile = target.recordFields.first(where: { $0.name == "data_file" }) else {
            throw CatalogError(.invalidMetadata, "manifest schema has no data_file")
        }
        let targetFields = targetDataFile.type.recordFields
        let partitionPosition = targetFields.firstIndex { $0.name == "partition" }
        let countPosition = targetFields.firstIndex { $0.name == "record_count" }
        let pathPosition = targetFields.firstIndex { $0.name == "file_path" }
        let sizePosition = targetFields.firstIndex { $0.name == "file_size_in_bytes" }
        let contentPosition = targetFields.firstIndex { $0.name == "content" }
        // The writer schema is the same for every record: index its fields once.
        var layout: (source: [AvroField], index: [String: Int], dataFile: Int)?
        try AvroContainerReader.forEachRecord(in: bytes) { schema, record in
            if layout == nil {
                let source = schema.recordFields
                let index = Dictionary(source.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
                guard let dataFileIndex = index["data_file"] else {
                    throw CatalogError(.invalidMetadata, "manifest has no data_file", context: ["location": manifest.manifestPath])
                }
                layout = (source, index, dataFileIndex)
            }
            guard let (source, index, dataFileIndex) = layout, let values = record.recordValue else { return }
            func value(_ name: String) -> AvroValue? { index[name].map { values[$0] } }
            let status = value("status")?.int32 ?? 1
            if status == 2 { return }
            let inherited = status == 1
            let sequence = value("sequence_number")?.int64 ?? (inherited ? manifest.sequenceNumber : 0)
            let dataFile = try conform(values[dataFileIndex], from: source[dataFileIndex].type, to: targetDataFile.type)
            let fields = dataFile.recordValue ?? []
            let partition = partitionPosition.flatMap { fields[$0].recordValue }?.map(partitionValue) ?? []
            guard let filePath = pathPosition.flatMap({ fields[$0].stringValue }) else {
                throw CatalogError(.invalidMetadata, "manifest entry has no file_path", context: ["location": manifest.manifestPath])
            }
            try body(Entry(
                snapshotId: value("snapshot_id")?.int64 ?? manifest.addedSnapshotId,
                sequenceNumber: sequence,
                fileSequenceNumber: value("file_sequence_number")?.int64 ?? (inherited ? manifest.sequenceNumber : sequence),
                dataFile: dataFile, partition: partition,
                recordCount: countPosition.flatMap { fields[$0].int64 } ?? 0,
                filePath: filePath, fileSizeInBytes: sizePosition.flatMap { fields[$0].int64 } ?? 0,
                content: contentPosition.flatMap { fields[$0].int32 } ?? 0))
        }
    }

    private static func partitionValue(_ value: AvroValue) -> PartitionValue {
        switch value {
        case .string(let v): .string(v)
        case .int(let v): .int(v)
        case .long(let v): .long(v)
        default: .null
        }
    }

    /// Re-shapes a value decoded with `source` so it can be encoded with `target`: records by field name
    /// (absent fields become null), numbers widened or narrowed.
    static func conform(_ value: AvroValue, from source: AvroSchema, to target: AvroSchema) throws -> AvroValue {
        switch (source, target) {
        case (.union(let branches), _):
            // Decoded unions hold the branch value; find the branch that produced it.
            if value == .null { return .null }
            let branch = branches.first { $0 != .null } ?? .null
            return try conform(value, from: branch, to: target)
        case (_, .union(let branches)):
            if value == .null { return .null }
            return try conform(value, from: source, to: branches.first { $0 != .null } ?? .null)
        case (.logical(let base, _, _), _):
            return try conform(value, from: base, to: target)
        case (_, .logical(let base, _, _)):
            return try conform(value, from: source, to: base)
        case (.record(_, let sourceFields), .record(_, let targetFields)):
            let values = value.recordValue ?? []
            return .record(try targetFields.map { field in
                guard let position = sourceFields.firstIndex(where: { $0.name == field.name }), position < values.count else {
                    return .null
                }
                return try conform(values[position], from: sourceFields[position].type, to: field.type)
            })
        case (.array(let sourceItems, _, _), .array(let targetItems, _, _)):
            return .array(try (value.arrayValue ?? []).map { try conform($0, from: sourceItems, to: targetItems) })
        case (_, .long):
            guard let number = value.int64 else { throw mismatch() }
            return .long(number)
        case (_, .int):
            guard let number = value.int32 else { throw mismatch() }
            return .int(number)
        default:
            return value
        }
    }

    private static func mismatch() -> CatalogError {
        CatalogError(.invalidMetadata, "manifest entry does not fit the manifest schema")
    }
}

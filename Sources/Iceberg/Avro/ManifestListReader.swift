/// Reads the `manifest_file` records of a manifest list written by any v2 writer (Floe, pyiceberg, Java).
struct ManifestListReader: Sendable {
    /// Decodes the manifests listed in `bytes`, matching fields by name in the writer's schema.
    ///
    /// - Throws: ``CatalogError`` `invalidMetadata` when required fields are missing.
    static func read(_ bytes: [UInt8]) throws -> [ManifestFile] {
        let container = try AvroContainerReader(bytes: bytes)
        let fields = container.schema.recordFields
        let index = Dictionary(fields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        let summaryFields: [String: Int]
        if let position = index["partitions"], case .union(let branches) = fields[position].type,
           case .array(let items, _, _)? = branches.last {
            summaryFields = Dictionary(items.recordFields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        } else {
            summaryFields = [:]
        }
        return try container.records.map { record in
            guard let values = record.recordValue else { throw CatalogError(.invalidMetadata, "manifest list record is malformed") }
            func value(_ name: String) -> AvroValue? { index[name].map { values[$0] } }
            func required<T>(_ name: String, _ extract: (AvroValue) -> T?) throws -> T {
                guard let raw = value(name), let result = extract(raw) else {
                    throw CatalogError(.invalidMetadata, "manifest list lacks a required field", context: ["field": name])
                }
                return result
            }
            let partitions = value("partitions")?.arrayValue?.map { element -> ManifestFile.FieldSummary in
                let summary = element.recordValue ?? []
                func field(_ name: String) -> AvroValue? { summaryFields[name].flatMap { $0 < summary.count ? summary[$0] : nil } }
                return ManifestFile.FieldSummary(containsNull: field("contains_null")?.bool ?? true,
                                                 containsNaN: field("contains_nan")?.bool,
                                                 lowerBound: field("lower_bound")?.byteArray,
                                                 upperBound: field("upper_bound")?.byteArray)
            }
            return ManifestFile(
                manifestPath: try required("manifest_path") { $0.stringValue },
                manifestLength: try required("manifest_length") { $0.int64 },
                partitionSpecId: try required("partition_spec_id") { $0.int32 },
                content: ManifestFile.Content(rawValue: value("content")?.int32 ?? 0) ?? .data,
                sequenceNumber: value("sequence_number")?.int64 ?? 0,
                minSequenceNumber: value("min_sequence_number")?.int64 ?? 0,
                addedSnapshotId: try required("added_snapshot_id") { $0.int64 },
                addedFilesCount: value("added_files_count")?.int32 ?? 0,
                existingFilesCount: value("existing_files_count")?.int32 ?? 0,
                deletedFilesCount: value("deleted_files_count")?.int32 ?? 0,
                addedRowsCount: value("added_rows_count")?.int64 ?? 0,
                existingRowsCount: value("existing_rows_count")?.int64 ?? 0,
                deletedRowsCount: value("deleted_rows_count")?.int64 ?? 0,
                partitions: partitions,
                keyMetadata: value("key_metadata")?.byteArray)
        }
    }
}

extension ManifestReader {
    /// A file a manifest entry names, and whether the entry is live (ADDED or EXISTING, not DELETED).
    struct FileReference: Sendable, Hashable {
        var location: String
        var isLive: Bool
    }

    /// The `data_file.file_path` of every entry in a manifest written by any v2 writer.
    ///
    /// - Throws: ``CatalogError`` `invalidMetadata` when the manifest cannot be read.
    static func fileReferences(_ bytes: [UInt8], manifestPath: String) throws -> [FileReference] {
        let container = try AvroContainerReader(bytes: bytes)
        let fields = container.schema.recordFields
        guard let dataFileIndex = fields.firstIndex(where: { $0.name == "data_file" }),
              let pathIndex = fields[dataFileIndex].type.recordFields.firstIndex(where: { $0.name == "file_path" }) else {
            throw CatalogError(.invalidMetadata, "manifest has no data_file.file_path", context: ["location": manifestPath])
        }
        let statusIndex = fields.firstIndex { $0.name == "status" }
        return try container.records.map { record in
            guard let values = record.recordValue, dataFileIndex < values.count,
                  let dataFile = values[dataFileIndex].recordValue, pathIndex < dataFile.count,
                  let path = dataFile[pathIndex].stringValue else {
                throw CatalogError(.invalidMetadata, "manifest entry is malformed", context: ["location": manifestPath])
            }
            let status = statusIndex.flatMap { $0 < values.count ? values[$0].int32 : nil } ?? 1
            return FileReference(location: path, isLive: status != 2)
        }
    }
}

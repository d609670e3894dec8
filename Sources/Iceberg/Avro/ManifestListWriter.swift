/// Writes a v2 manifest list: one `manifest_file` record per manifest of a snapshot.
///
/// See <https://iceberg.apache.org/spec/#manifest-lists> (field ids 500–519).
struct ManifestListWriter: Sendable {
    var codec: AvroCodec = .deflate

    /// The v2 `manifest_file` schema.
    static let schema: AvroSchema = .record(name: "manifest_file", fields: [
        AvroField(name: "manifest_path", type: .string, fieldId: 500),
        AvroField(name: "manifest_length", type: .long, fieldId: 501),
        AvroField(name: "partition_spec_id", type: .int, fieldId: 502),
        AvroField(name: "content", type: .int, fieldId: 517),
        AvroField(name: "sequence_number", type: .long, fieldId: 515),
        AvroField(name: "min_sequence_number", type: .long, fieldId: 516),
        AvroField(name: "added_snapshot_id", type: .long, fieldId: 503),
        AvroField(name: "added_files_count", type: .int, fieldId: 504),
        AvroField(name: "existing_files_count", type: .int, fieldId: 505),
        AvroField(name: "deleted_files_count", type: .int, fieldId: 506),
        AvroField(name: "added_rows_count", type: .long, fieldId: 512),
        AvroField(name: "existing_rows_count", type: .long, fieldId: 513),
        AvroField(name: "deleted_rows_count", type: .long, fieldId: 514),
        AvroField(name: "partitions", type: .optional(.array(items: .record(name: "r508", fields: [
            AvroField(name: "contains_null", type: .boolean, fieldId: 509),
            AvroField(name: "contains_nan", type: .optional(.boolean), fieldId: 518),
            AvroField(name: "lower_bound", type: .optional(.bytes), fieldId: 510),
            AvroField(name: "upper_bound", type: .optional(.bytes), fieldId: 511),
        ]), elementId: 508, logicalType: nil)), fieldId: 507),
        AvroField(name: "key_metadata", type: .optional(.bytes), fieldId: 519),
    ])

    /// The manifest list of snapshot `snapshotId`.
    func write(_ manifests: [ManifestFile], snapshotId: Int64, parentSnapshotId: Int64?, sequenceNumber: Int64,
               syncMarker: [UInt8]) throws -> [UInt8] {
        var writer = AvroContainerWriter(schema: Self.schema, metadata: [
            ("snapshot-id", String(snapshotId)),
            ("parent-snapshot-id", parentSnapshotId.map(String.init) ?? "null"),
            ("sequence-number", String(sequenceNumber)),
            ("format-version", "2"),
        ], codec: codec, syncMarker: syncMarker)
        for manifest in manifests {
            try writer.append(.record([
                .string(manifest.manifestPath),
                .long(manifest.manifestLength),
                .int(manifest.partitionSpecId),
                .int(manifest.content.rawValue),
                .long(manifest.sequenceNumber),
                .long(manifest.minSequenceNumber),
                .long(manifest.addedSnapshotId),
                .int(manifest.addedFilesCount),
                .int(manifest.existingFilesCount),
                .int(manifest.deletedFilesCount),
                .long(manifest.addedRowsCount),
                .long(manifest.existingRowsCount),
                .long(manifest.deletedRowsCount),
                manifest.partitions.map { summaries in
                    .array(summaries.map { summary in
                        .record([
                            .boolean(summary.containsNull),
                            summary.containsNaN.map { .boolean($0) } ?? .null,
                            .optionalBytes(summary.lowerBound),
                            .optionalBytes(summary.upperBound),
                        ])
                    })
                } ?? .null,
                .optionalBytes(manifest.keyMetadata),
            ]))
        }
        return try writer.finish()
    }
}

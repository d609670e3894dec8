import Foundation

/// Writes a v2 data manifest: one `manifest_entry` (status ADDED) per data file, as an Avro container.
///
/// Entries carry the snapshot id and leave both sequence numbers null, so they inherit the sequence number
/// the manifest list assigns; the same manifest can therefore be reused when a commit is rebased.
/// See <https://iceberg.apache.org/spec/#manifests>.
package struct ManifestWriter: Sendable {
    /// What was written, with the counts and partition summaries its manifest-list entry needs.
    package struct Output: Sendable {
        package var bytes: [UInt8]
        /// Entries written (ADDED, or EXISTING for a merged manifest).
        var addedFilesCount: Int32
        var addedRowsCount: Int64
        var partitions: [ManifestFile.FieldSummary]
    }

    let schema: Schema
    let spec: PartitionSpec
    var codec: AvroCodec = .deflate
    /// Data files or delete files (a manifest holds one kind).
    var content: ManifestFile.Content = .data

    package init(schema: Schema, spec: PartitionSpec, codec: AvroCodec = .deflate) {
        self.schema = schema
        self.spec = spec
        self.codec = codec
    }

    /// The Avro record for the spec's partition tuple (`partition`, 102): one optional field per partition
    /// field, with the partition field id and the transform's result type.
    func partitionType() throws -> AvroSchema {
        var fields: [AvroField] = []
        for field in spec.fields {
            guard let source = schema.field(id: field.sourceId),
                  let result = field.resultType(sourceType: source.type) else {
                throw CatalogError(.invalidArgument, "partition field has no known result type",
                                   context: ["partition_field": field.name, "transform": field.transform])
            }
            fields.append(AvroField(name: field.name, type: .optional(try Self.avroType(result)), fieldId: field.fieldId))
        }
        return .record(name: "r102", fields: fields)
    }

    /// The Avro type of a partition value of Iceberg type `type`.
    static func avroType(_ type: IcebergType) throws -> AvroSchema {
        switch type {
        case .string: return .string
        case .int: return .int
        case .long: return .long
        case .date: return .logical(base: .int, logicalType: "date", adjustToUTC: nil)
        case .timestamp: return .logical(base: .long, logicalType: "timestamp-micros", adjustToUTC: false)
        case .timestamptz: return .logical(base: .long, logicalType: "timestamp-micros", adjustToUTC: true)
        default:
            throw CatalogError(.invalidArgument, "unsupported partition value type", context: ["type": type.primitiveName ?? "nested"])
        }
    }

    /// The `manifest_entry` schema with every field id of the v2 spec.
    func entrySchema() throws -> AvroSchema {
        let countMap = { (id: Int32, keyId: Int32) in
            AvroField(name: "", type: .optional(.keyValueArray(keyId: keyId, key: .int, valueId: keyId + 1, value: .long)), fieldId: id)
        }
        let boundMap = { (id: Int32, keyId: Int32) in
            AvroField(name: "", type: .optional(.keyValueArray(keyId: keyId, key: .int, valueId: keyId + 1, value: .bytes)), fieldId: id)
        }
        func named(_ field: AvroField, _ name: String) -> AvroField {
            var field = field
            field.name = name
            return field
        }
        let dataFile = AvroSchema.record(name: "r2", fields: [
            AvroField(name: "content", type: .int, fieldId: 134),
            AvroField(name: "file_path", type: .string, fieldId: 100),
            AvroField(name: "file_format", type: .string, fieldId: 101),
            AvroField(name: "partition", type: try partitionType(), fieldId: 102),
            AvroField(name: "record_count", type: .long, fieldId: 103),
            AvroField(name: "file_size_in_bytes", type: .long, fieldId: 104),
            named(countMap(108, 117), "column_sizes"),
            named(countMap(109, 119), "value_counts"),
            named(countMap(110, 121), "null_value_counts"),
            named(countMap(137, 138), "nan_value_counts"),
            named(boundMap(125, 126), "lower_bounds"),
            named(boundMap(128, 129), "upper_bounds"),
            AvroField(name: "key_metadata", type: .optional(.bytes), fieldId: 131),
            AvroField(name: "split_offsets", type: .optional(.array(items: .long, elementId: 133, logicalType: nil)), fieldId: 132),
            AvroField(name: "equality_ids", type: .optional(.array(items: .int, elementId: 136, logicalType: nil)), fieldId: 135),
            AvroField(name: "sort_order_id", type: .optional(.int), fieldId: 140),
        ])
        return .record(name: "manifest_entry", fields: [
            AvroField(name: "status", type: .int, fieldId: 0),
            AvroField(name: "snapshot_id", type: .optional(.long), fieldId: 1),
            AvroField(name: "sequence_number", type: .optional(.long), fieldId: 3),
            AvroField(name: "file_sequence_number", type: .optional(.long), fieldId: 4),
            AvroField(name: "data_file", type: dataFile, fieldId: 2),
        ])
    }

    private func containerWriter(syncMarker: [UInt8]) throws -> AvroContainerWriter {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let metadata: [(key: String, value: String)] = [
            ("schema", String(decoding: try encoder.encode(schema), as: UTF8.self)),
            ("schema-id", String(schema.schemaId)),
            ("partition-spec", String(decoding: try encoder.encode(spec.fields), as: UTF8.self)),
            ("partition-spec-id", String(spec.specId)),
            ("format-version", "2"),
            ("content", content == .deletes ? "deletes" : "data"),
        ]
        return AvroContainerWriter(schema: try entrySchema(), metadata: metadata, codec: codec, syncMarker: syncMarker)
    }

    /// A manifest rewritten from other manifests' live entries: each is encoded as it is added, as
    /// EXISTING (merging; kept by a rewrite) or DELETED (removed by a rewrite), with its snapshot ids and
    /// sequence numbers explicit, so a rewrite never holds every entry's record at once.
    struct EntriesWriter {
        fileprivate var writer: AvroContainerWriter
        fileprivate var summaries: PartitionSummaryBuilder
        /// EXISTING entries and their rows.
        private(set) var count: Int32 = 0
        private(set) var rows: Int64 = 0
        /// DELETED entries and their rows.
        private(set) var deletedCount: Int32 = 0
        private(set) var deletedRows: Int64 = 0
        /// The smallest data sequence number among the EXISTING entries (nil while none).
        private(set) var minSequenceNumber: Int64?

        /// Adds `entry` as EXISTING.
        mutating func add(_ entry: ManifestReader.Entry) throws {
            summaries.add(entry.partition)
            rows += entry.recordCount
            count += 1
            minSequenceNumber = min(minSequenceNumber ?? entry.sequenceNumber, entry.sequenceNumber)
            try writer.append(.record([
                .int(0), .long(entry.snapshotId), .long(entry.sequenceNumber), .long(entry.fileSequenceNumber), entry.dataFile,
            ]))
        }

        /// Adds `entry` as DELETED by `snapshotId` (its sequence numbers kept, as the spec asks).
        mutating func delete(_ entry: ManifestReader.Entry, snapshotId: Int64) throws {
            summaries.add(entry.partition)
            deletedRows += entry.recordCount
            deletedCount += 1
            try writer.append(.record([
                .int(2), .long(snapshotId), .long(entry.sequenceNumber), .long(entry.fileSequenceNumber), entry.dataFile,
            ]))
        }

        /// The manifest's bytes; `addedFilesCount` and `addedRowsCount` of the output are the EXISTING ones.
        mutating func finish() throws -> Output {
            Output(bytes: try writer.finish(), addedFilesCount: count, addedRowsCount: rows, partitions: summaries.summaries)
        }
    }

    /// Starts a rewritten manifest (of this writer's `content`); add its entries, then finish.
    func entriesWriter(syncMarker: [UInt8]) throws -> EntriesWriter {
        EntriesWriter(writer: try containerWriter(syncMarker: syncMarker),
                      summaries: PartitionSummaryBuilder(fieldCount: spec.fields.count))
    }

    /// Writes the manifest for `files`, all added by `snapshotId`.
    ///
    /// - Throws: ``CatalogError`` `invalidArgument` when a file's partition tuple does not match the spec.
    package func write(files: [DataFile], snapshotId: Int64, syncMarker: [UInt8]) throws -> Output {
        let partitionType = try partitionType()
        var writer = try containerWriter(syncMarker: syncMarker)
        var summaries = PartitionSummaryBuilder(fieldCount: spec.fields.count)
        var rows: Int64 = 0
        for file in files {
            let partition = try partitionValue(file.partition, type: partitionType, path: file.filePath)
            summaries.add(file.partition)
            rows += file.recordCount
            try writer.append(.record([
                .int(1),
                .long(snapshotId),
                .null,
                .null,
                .record([
                    .int(file.content.rawValue),
                    .string(file.filePath),
                    .string("PARQUET"),
                    partition,
                    .long(file.recordCount),
                    .long(file.fileSizeInBytes),
                    Self.countMap(file.columnSizes),
                    Self.countMap(file.valueCounts),
                    Self.countMap(file.nullValueCounts),
                    .null,
                    Self.boundMap(file.lowerBounds),
                    Self.boundMap(file.upperBounds),
                    .null,
                    file.splitOffsets.map { .array($0.map { .long($0) }) } ?? .null,
                    .null,
                    .null,
                ]),
            ]))
        }
        return Output(bytes: try writer.finish(), addedFilesCount: Int32(files.count), addedRowsCount: rows,
                      partitions: summaries.summaries)
    }

    private func partitionValue(_ values: [PartitionValue], type: AvroSchema, path: String) throws -> AvroValue {
        let fields = type.recordFields
        guard values.count == fields.count else {
            throw CatalogError(.invalidArgument, "partition tuple does not match the partition spec",
                               context: ["file": path, "expected": String(fields.count), "actual": String(values.count)])
        }
        var result: [AvroValue] = []
        for (value, field) in zip(values, fields) {
            guard case .union(let branches) = field.type, let base = branches.last else { continue }
            switch (value, base) {
            case (.null, _): result.append(.null)
            case (.string(let v), .string): result.append(.string(v))
            case (.int(let v), .int), (.int(let v), .logical(.int, _, _)): result.append(.int(v))
            case (.long(let v), .long), (.long(let v), .logical(.long, _, _)): result.append(.long(v))
            default:
                throw CatalogError(.invalidArgument, "partition value has the wrong type",
                                   context: ["file": path, "partition_field": field.name])
            }
        }
        return .record(result)
    }

    private static func countMap(_ map: [Int32: Int64]) -> AvroValue {
        if map.isEmpty { return .null }
        return .array(map.sorted { $0.key < $1.key }.map { .record([.int($0.key), .long($0.value)]) })
    }

    private static func boundMap(_ map: [Int32: [UInt8]]) -> AvroValue {
        if map.isEmpty { return .null }
        return .array(map.sorted { $0.key < $1.key }.map { .record([.int($0.key), .bytes($0.value)]) })
    }
}

import Iceberg

/// The `events` table of docs/design.md §2, as tests create it.
enum EventsTable {
    static let identifier = TableIdentifier(namespace: ["analytics"], name: "events")

    static let schema: Schema = {
        let strings = ["message_id", "type", "user_id", "anonymous_id", "event", "name", "category", "group_id",
                       "previous_id", "properties", "traits", "context", "integrations"]
        let timestamps = ["timestamp", "original_timestamp", "sent_at", "received_at"]
        let required: Set<String> = ["message_id", "type", "timestamp", "received_at"]
        var fields: [NestedField] = []
        for (index, name) in (strings + timestamps).enumerated() {
            fields.append(NestedField(id: Int32(index + 1), name: name, required: required.contains(name),
                                      type: strings.contains(name) ? .string : .timestamptz))
        }
        return Schema(schemaId: 0, fields: fields)
    }()

    static let spec = PartitionSpec(specId: 0, fields: [
        PartitionField(sourceId: 2, fieldId: 1000, name: "type", transform: "identity"),
        PartitionField(sourceId: 14, fieldId: 1001, name: "timestamp_hour", transform: "hour"),
    ])

    /// A data file description with a few statistics, for tests that never read the file.
    static func dataFile(location: String, type: String, hour: Int32, rows: Int64) -> DataFile {
        DataFile(filePath: location, partition: [.string(type), .int(hour)], recordCount: rows,
                 fileSizeInBytes: 1000 + rows, columnSizes: [1: 100, 2: 20], valueCounts: [1: rows, 2: rows],
                 nullValueCounts: [1: 0, 2: 0], lowerBounds: [2: Array(type.utf8)], upperBounds: [2: Array(type.utf8)])
    }
}

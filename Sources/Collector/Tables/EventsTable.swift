/// The `events` table of Segment/RudderStack messages (docs/design.md §2).
extension TableDefinition {
    package static let events = TableDefinition(
        name: "events",
        columns: [
            Column(id: 1, name: "message_id", kind: .string, required: true),
            Column(id: 2, name: "type", kind: .string, required: true),
            Column(id: 3, name: "user_id", kind: .string, required: false),
            Column(id: 4, name: "anonymous_id", kind: .string, required: false),
            Column(id: 5, name: "event", kind: .string, required: false),
            Column(id: 6, name: "name", kind: .string, required: false),
            Column(id: 7, name: "category", kind: .string, required: false),
            Column(id: 8, name: "group_id", kind: .string, required: false),
            Column(id: 9, name: "previous_id", kind: .string, required: false),
            Column(id: 10, name: "properties", kind: .string, required: false),
            Column(id: 11, name: "traits", kind: .string, required: false),
            Column(id: 12, name: "context", kind: .string, required: false),
            Column(id: 13, name: "integrations", kind: .string, required: false),
            Column(id: 14, name: "timestamp", kind: .timestamp, required: true),
            Column(id: 15, name: "original_timestamp", kind: .timestamp, required: false),
            Column(id: 16, name: "sent_at", kind: .timestamp, required: false),
            Column(id: 17, name: "received_at", kind: .timestamp, required: true),
            Column(id: 18, name: "source_id", kind: .string, required: false),
        ],
        typeColumn: 1,
        timeColumn: 13,
        hourPartitionName: "timestamp_hour")
}

/// Column positions of ``TableDefinition/events``, for the normalizer.
enum EventsColumn {
    static let messageId = 0, type = 1, userId = 2, anonymousId = 3, event = 4, name = 5, category = 6
    static let groupId = 7, previousId = 8, properties = 9, traits = 10, context = 11, integrations = 12
    static let timestamp = 13, originalTimestamp = 14, sentAt = 15, receivedAt = 16, sourceId = 17
    static let count = 18
}

/// The `rejected` table: every event Floe refused on its own while the rest of its request was
/// stored (docs/design.md §2), so that nothing sent is silently lost.
///
/// Partitioned like the other tables: by `format` (`segment` or `cloudevents`) and by the hour
/// of `received_at`. `event` holds the event's JSON as sent, cut at the per-event size limit (`event_bytes` is
/// its size before the cut).
extension TableDefinition {
    static let rejected = TableDefinition(
        name: "rejected",
        columns: [
            Column(id: 1, name: "received_at", kind: .timestamp, required: true),
            Column(id: 2, name: "format", kind: .string, required: true),
            Column(id: 3, name: "route", kind: .string, required: true),
            Column(id: 4, name: "request_id", kind: .string, required: false),
            Column(id: 5, name: "source_id", kind: .string, required: false),
            Column(id: 6, name: "batch_index", kind: .int32, required: false),
            Column(id: 7, name: "event", kind: .string, required: true),
            Column(id: 8, name: "event_bytes", kind: .int32, required: true),
            Column(id: 9, name: "reasons", kind: .stringList(elementId: 10), required: true),
        ],
        typeColumn: 1,
        timeColumn: 0,
        hourPartitionName: "received_at_hour")
}

/// Column positions of ``TableDefinition/rejected``.
enum RejectedColumn {
    static let receivedAt = 0, format = 1, route = 2, requestId = 3, sourceId = 4, batchIndex = 5
    static let event = 6, eventBytes = 7, reasons = 8
    static let count = 9
}

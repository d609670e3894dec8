/// The `cloudevents` table (docs/design.md §2, the seed's schema).
extension TableDefinition {
    package static let cloudEvents = TableDefinition(
        name: "cloudevents",
        columns: [
            Column(id: 1, name: "id", kind: .string, required: true),
            Column(id: 2, name: "type", kind: .string, required: true),
            Column(id: 3, name: "source", kind: .string, required: true),
            Column(id: 4, name: "specversion", kind: .string, required: true),
            Column(id: 5, name: "time", kind: .timestamp, required: false),
            Column(id: 6, name: "subject", kind: .string, required: false),
            Column(id: 7, name: "datacontenttype", kind: .string, required: false),
            Column(id: 8, name: "dataschema", kind: .string, required: false),
            Column(id: 9, name: "data", kind: .string, required: false),
            Column(id: 10, name: "extensions", kind: .stringMap(keyId: 27, valueId: 28), required: false),
            Column(id: 11, name: "cf_colo", kind: .string, required: false),
            Column(id: 12, name: "cf_country", kind: .string, required: false),
            Column(id: 13, name: "cf_city", kind: .string, required: false),
            Column(id: 14, name: "cf_continent", kind: .string, required: false),
            Column(id: 15, name: "cf_postal_code", kind: .string, required: false),
            Column(id: 16, name: "cf_region", kind: .string, required: false),
            Column(id: 17, name: "cf_timezone", kind: .string, required: false),
            Column(id: 18, name: "cf_http_protocol", kind: .string, required: false),
            Column(id: 19, name: "cf_tls_version", kind: .string, required: false),
            Column(id: 20, name: "cf_tls_cipher", kind: .string, required: false),
            Column(id: 21, name: "year", kind: .int32, required: false),
            Column(id: 22, name: "month", kind: .int32, required: false),
            Column(id: 23, name: "day", kind: .int32, required: false),
            Column(id: 24, name: "hour", kind: .int32, required: false),
            Column(id: 25, name: "received_at", kind: .timestamp, required: true),
            // Added after the first release: 29, above the map's 27 and 28 (new ids never reuse old ones).
            Column(id: 29, name: "source_id", kind: .string, required: false),
        ],
        typeColumn: 1,
        timeColumn: 4,
        hourPartitionName: "time_hour")
}

/// Column positions of ``TableDefinition/cloudEvents``, for the normalizer.
enum CloudEventsColumn {
    static let id = 0, type = 1, source = 2, specversion = 3, time = 4, subject = 5, datacontenttype = 6
    static let dataschema = 7, data = 8, extensions = 9, cfColo = 10
    static let year = 20, month = 21, day = 22, hour = 23, receivedAt = 24, sourceId = 25
    static let count = 26
}

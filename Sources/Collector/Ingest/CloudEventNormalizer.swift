import Buffer

/// Turns structured-mode CloudEvents into `cloudevents` rows (DESIGN.md §2).
struct CloudEventNormalizer {
    let tape: JSONTape
    let request: IngestContext

    private static let stringAttributes: [(StaticString, Int)] = [
        ("id", CloudEventsColumn.id), ("type", CloudEventsColumn.type), ("source", CloudEventsColumn.source),
        ("specversion", CloudEventsColumn.specversion), ("subject", CloudEventsColumn.subject),
        ("datacontenttype", CloudEventsColumn.datacontenttype), ("dataschema", CloudEventsColumn.dataschema),
    ]

    /// Normalizes the event object at `event`, or returns every problem found.
    func normalize(event: Int, index: Int?) -> Result<BufferedEvent, ValidationErrors> {
        var issues: [ValidationIssue] = []
        func issue(_ field: String?, _ text: String) { issues.append(ValidationIssue(index: index, field: field, message: text)) }
        guard tape.kind(event) == .object else {
            return .failure(ValidationErrors([ValidationIssue(index: index, field: nil, message: "event must be a JSON object")]))
        }
        var strings = [ArraySlice<UInt8>?](repeating: nil, count: CloudEventsColumn.count)
        var time: Int64?
        var data: ArraySlice<UInt8>?
        var extensions: [(key: [UInt8], value: [UInt8]?)] = []

        members: for (key, value) in tape.members(of: event) {
            for (name, column) in Self.stringAttributes where tape.stringEquals(key, name) {
                switch tape.kind(value) {
                case .string: strings[column] = tape.stringBytes(value)
                case .null: strings[column] = nil
                default: issue(name.description, "must be a string")
                }
                continue members
            }
            if tape.stringEquals(key, "time") {
                switch tape.kind(value) {
                case .null: time = nil
                case .string:
                    time = Timestamp.parse(tape.stringBytes(value))
                    if time == nil { issue("time", "is not an RFC 3339 timestamp") }
                default: issue("time", "must be an RFC 3339 string")
                }
            } else if tape.stringEquals(key, "data") {
                data = tape.kind(value) == .null ? nil : tape.raw(value)
            } else if tape.stringEquals(key, "data_base64") {
                guard tape.kind(value) == .string else {
                    issue("data_base64", "must be a string")
                    continue
                }
                data = tape.stringBytes(value)
            } else {
                let name = Array(tape.stringBytes(key))
                switch tape.kind(value) {
                case .null: extensions.append((name, nil))
                case .string: extensions.append((name, Array(tape.stringBytes(value))))
                default: extensions.append((name, Array(tape.raw(value))))
                }
            }
        }
        for (name, column) in Self.stringAttributes.prefix(4) where strings[column]?.isEmpty ?? true {
            issue(name.description, "is required")
        }
        if let version = strings[CloudEventsColumn.specversion], !version.isEmpty, !version.elementsEqual("1.0".utf8) {
            issue("specversion", "must be 1.0")
        }
        guard issues.isEmpty, let type = strings[CloudEventsColumn.type] else { return .failure(ValidationErrors(issues)) }

        let eventTime = time ?? request.receivedAt
        var row = RowEncoder(capacity: tape.raw(event).count + 64)
        for (_, column) in Self.stringAttributes {
            if let value = strings[column] { row.string(column, value) }
        }
        row.timestamp(CloudEventsColumn.time, eventTime)
        if let data { row.string(CloudEventsColumn.data, data) }
        if !extensions.isEmpty { row.stringMap(CloudEventsColumn.extensions, extensions) }
        let hours = Timestamp.hours(eventTime)
        let days = Int64(hours >= 0 ? hours / 24 : (hours - 23) / 24)
        let date = Timestamp.civil(fromDays: days)
        row.int32(CloudEventsColumn.year, Int32(clamping: date.year))
        row.int32(CloudEventsColumn.month, Int32(clamping: date.month))
        row.int32(CloudEventsColumn.day, Int32(clamping: date.day))
        row.int32(CloudEventsColumn.hour, Int32(clamping: Int64(hours) - days * 24))
        row.timestamp(CloudEventsColumn.receivedAt, request.receivedAt)

        let key = "\(String(decoding: type, as: UTF8.self))/\(Timestamp.hourLabel(hours))"
        var dedupKey: [UInt8] = [UInt8(ascii: "c")]
        dedupKey += strings[CloudEventsColumn.source] ?? []
        dedupKey.append(0)
        dedupKey += strings[CloudEventsColumn.id] ?? []
        return .success(BufferedEvent(partition: PartitionID(table: TableDefinition.cloudEvents.name, key: key),
                                      receivedAt: request.receivedAt, payload: row.bytes, dedupKey: dedupKey))
    }
}

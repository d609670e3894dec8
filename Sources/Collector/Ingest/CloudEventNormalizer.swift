import Foundation
import FloeSupport
import Buffer

/// Turns CloudEvents (structured JSON or HTTP binary mode) into `cloudevents` rows (docs/design.md §2).
struct CloudEventNormalizer {
    /// The attributes of one event, however it arrived.
    struct Attributes {
        var strings = [ArraySlice<UInt8>?](repeating: nil, count: CloudEventsColumn.count)
        var time: Int64?
        var data: ArraySlice<UInt8>?
        var extensions: [(key: [UInt8], value: [UInt8]?)] = []

        /// Keeps the last value of an extension attribute given more than once, as for other attributes
        /// (called once all are read: a set only when there are many, so an event's few cost no allocation).
        mutating func keepLastOfEachExtension() {
            guard extensions.count > 1 else { return }
            let duplicated: Bool
            if extensions.count <= 8 {
                duplicated = extensions.indices.contains { i in extensions[(i + 1)...].contains { $0.key == extensions[i].key } }
            } else {
                duplicated = Set(extensions.map(\.key)).count < extensions.count
            }
            guard duplicated else { return }
            var seen = Set<[UInt8]>()
            extensions = Array(extensions.reversed().filter { seen.insert($0.key).inserted }.reversed())
        }
    }

    static let stringAttributes: [(StaticString, Int)] = [
        ("id", CloudEventsColumn.id), ("type", CloudEventsColumn.type), ("source", CloudEventsColumn.source),
        ("specversion", CloudEventsColumn.specversion), ("subject", CloudEventsColumn.subject),
        ("datacontenttype", CloudEventsColumn.datacontenttype), ("dataschema", CloudEventsColumn.dataschema),
    ]

    let request: IngestContext

    /// The longest `type`, percent-encoded, that a partition directory (`type=…`) may carry: file
    /// systems allow 255 bytes a path segment, and S3 keys 1,024 bytes in all.
    static let maxEncodedTypeBytes = 200

    /// Reads a structured-mode event object from a tape.
    func attributes(tape: JSONTape, event: Int, issue: (String?, String) -> Void) -> Attributes? {
        guard tape.kind(event) == .object else {
            issue(nil, "event must be a JSON object")
            return nil
        }
        var attributes = Attributes()
        var hasData = false, hasDataBase64 = false
        members: for (key, value) in tape.members(of: event) {
            for (name, column) in Self.stringAttributes where tape.stringEquals(key, name) {
                switch tape.kind(value) {
                case .string:
                    attributes.strings[column] = tape.stringBytes(value)
                    // `source` and `id` are the event's identity: decoded, a lone surrogate would make it another's.
                    if column == CloudEventsColumn.id || column == CloudEventsColumn.source, tape.holdsLoneSurrogate(value) {
                        issue(name.description, ValidationIssue.loneSurrogate)
                    }
                case .null: attributes.strings[column] = nil
                default: issue(name.description, "must be a string")
                }
                continue members
            }
            if tape.stringEquals(key, "time") {
                switch tape.kind(value) {
                case .null: attributes.time = nil
                case .string:
                    attributes.time = Timestamp.parse(tape.stringBytes(value))
                    if attributes.time == nil { issue("time", "is not an RFC 3339 timestamp") }
                default: issue("time", "must be an RFC 3339 string")
                }
            } else if tape.stringEquals(key, "data") {
                attributes.data = tape.kind(value) == .null ? nil : tape.raw(value)
                hasData = tape.kind(value) != .null
            } else if tape.stringEquals(key, "data_base64") {
                guard tape.kind(value) == .string else {
                    if tape.kind(value) != .null { issue("data_base64", "must be a string") }
                    continue
                }
                attributes.data = tape.stringBytes(value)
                hasDataBase64 = true
                if !Self.isBase64(tape.stringBytes(value)) { issue("data_base64", "is not base64") }
            } else {
                let name = Array(tape.stringBytes(key))
                switch tape.kind(value) {
                case .null: attributes.extensions.append((name, nil))
                case .string: attributes.extensions.append((name, Array(tape.stringBytes(value))))
                default: attributes.extensions.append((name, Array(tape.raw(value))))
                }
            }
        }
        attributes.keepLastOfEachExtension()
        // The JSON format: a null attribute is unset (the last one given decides, as above).
        attributes.extensions.removeAll { $0.value == nil }
        // The JSON format carries binary data in data_base64 and other data in data, never both.
        if hasData && hasDataBase64 { issue("data_base64", "must not be sent together with data") }
        return attributes
    }

    /// Normalizes a structured-mode event at `event` onto the end of `events`, or returns every
    /// problem found (and adds nothing).
    func normalize(tape: JSONTape, event: Int, index: Int?, into events: inout EventBatch) -> ValidationErrors? {
        switch validate(tape: tape, event: event, index: index) {
        case .success(let attributes):
            append(attributes, to: &events)
            return nil
        case .failure(let errors):
            return errors
        }
    }

    /// Reads and checks a structured-mode event at `event`, or returns every problem found.
    func validate(tape: JSONTape, event: Int, index: Int?) -> Result<Attributes, ValidationErrors> {
        var issues: [ValidationIssue] = []
        let found = attributes(tape: tape, event: event) { issues.append(ValidationIssue(index: index, field: $0, message: $1)) }
        guard let found, issues.isEmpty else { return .failure(ValidationErrors(issues)) }
        if let errors = validate(found, index: index) { return .failure(errors) }
        return .success(found)
    }

    /// Checks the required attributes and adds the event to `events`, or returns every problem found.
    func normalize(_ attributes: Attributes, index: Int?, into events: inout EventBatch) -> ValidationErrors? {
        if let errors = validate(attributes, index: index) { return errors }
        append(attributes, to: &events)
        return nil
    }

    /// The problems with an event's attributes (required ones missing, wrong `specversion`), if any.
    func validate(_ attributes: Attributes, index: Int?) -> ValidationErrors? {
        var issues: [ValidationIssue] = []
        for (name, column) in Self.stringAttributes.prefix(4) where attributes.strings[column]?.isEmpty ?? true {
            issues.append(ValidationIssue(index: index, field: name.description, message: "is required"))
        }
        if let version = attributes.strings[CloudEventsColumn.specversion], !version.isEmpty,
           !version.elementsEqual("1.0".utf8) {
            issues.append(ValidationIssue(index: index, field: "specversion", message: "must be 1.0"))
        }
        if attributes.extensions.contains(where: { !Self.isAttributeName($0.key) }) {
            issues.append(ValidationIssue(index: index, field: "extensions", message:
                "attribute names must be lower-case ASCII letters and digits (CloudEvents 1.0)"))
        }
        if let type = attributes.strings[CloudEventsColumn.type] {
            // Fixed texts: reasons are a metric label, which must not take a value per input.
            if PercentEncoding.encodedCount(type) > Self.maxEncodedTypeBytes {
                issues.append(ValidationIssue(index: index, field: "type", message:
                    "is too long to name a partition (at most \(Self.maxEncodedTypeBytes) bytes percent-encoded)"))
            } else if !Self.isSafePathText(type) {
                issues.append(ValidationIssue(index: index, field: "type", message:
                    "must not hold a zero byte or a '..' path segment (it names a partition directory)"))
            }
        }
        return issues.isEmpty ? nil : ValidationErrors(issues)
    }

    /// Adds a validated event to `events`: its row in the buffer encoding, partition and dedup key
    /// (of ``identity(source:id:_:)``).
    func append(_ attributes: Attributes, to events: inout EventBatch) {
        countAdjusted(attributes)
        var dedupKey = DedupKey()
        Self.identity(source: attributes.strings[CloudEventsColumn.source] ?? [],
                      id: attributes.strings[CloudEventsColumn.id] ?? []) { dedupKey.append($0) }
        events.append(partition: partition(of: attributes).id, receivedAt: request.receivedAt, dedupKey: dedupKey) { bytes in
            RowEncoder.append(to: &bytes) { write(attributes, into: &$0) }
        }
    }

    /// Whether `type`, once the partition directory `type=…` it names is decoded on a local disk, stays one
    /// directory down: no zero byte (it ends a path) and no `..` between slashes.
    static func isSafePathText(_ type: ArraySlice<UInt8>) -> Bool {
        // One pass, no allocation (every CloudEvent goes through it): the current segment's length and dots.
        var length = 0, dots = 0
        for byte in type {
            switch byte {
            case 0: return false
            case UInt8(ascii: "/"):
                if length == 2 && dots == 2 { return false }
                length = 0
                dots = 0
            default:
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return !(length == 2 && dots == 2)
    }

    /// Hands `put` the bytes of a CloudEvent's identity, which its dedup key hashes: `c`, `source`, a zero
    /// byte and `id`. A `source` that holds a zero byte itself (JSON `\u0000`) would make that ambiguous,
    /// so it is written as `C`, the length of `source` as LEB128, `source` and `id` instead.
    static func identity(source: ArraySlice<UInt8>, id: ArraySlice<UInt8>, _ put: (UInt8) -> Void) {
        if source.contains(0) {
            var prefix: [UInt8] = [UInt8(ascii: "C")]
            LEB128.append(UInt64(source.count), to: &prefix)
            for byte in prefix { put(byte) }
            for byte in source { put(byte) }
        } else {
            put(UInt8(ascii: "c"))
            for byte in source { put(byte) }
            put(0)
        }
        for byte in id { put(byte) }
    }

    /// The buffer partition of a validated event: `{type}/{event hour}` of the `cloudevents` table.
    func partition(of attributes: Attributes) -> PartitionSlot {
        PartitionSlot(cloudEventType: attributes.strings[CloudEventsColumn.type] ?? [],
                      hours: Timestamp.hours(eventTime(attributes)))
    }

    /// Writes the row of a validated event.
    func write(_ attributes: Attributes, into row: inout some RowWriter) {
        let eventTime = eventTime(attributes)
        for (_, column) in Self.stringAttributes {
            if let value = attributes.strings[column] { row.string(column, value) }
        }
        row.timestamp(CloudEventsColumn.time, eventTime)
        if let data = attributes.data { row.string(CloudEventsColumn.data, data) }
        var extensions = attributes.extensions
        if let time = attributes.time, time != eventTime {
            // Floe's record of the time it replaced: one the client sent under that name would hide it.
            extensions.removeAll { $0.key.elementsEqual(Self.originalTimeExtension) }
            extensions.append((Self.originalTimeExtension, Array(Timestamp.rfc3339(time).utf8)))
        }
        if !extensions.isEmpty { row.stringMap(CloudEventsColumn.extensions, extensions) }
        if let cloudflare = request.cloudflare {
            for (offset, value) in cloudflare.values.enumerated() {
                if let value { row.string(CloudEventsColumn.cfColo + offset, value) }
            }
        }
        let hours = Timestamp.hours(eventTime)
        let days = Int64(hours >= 0 ? hours / 24 : (hours - 23) / 24)
        let date = CivilDate(daysSinceEpoch: days)
        row.int32(CloudEventsColumn.year, Int32(clamping: date.year))
        row.int32(CloudEventsColumn.month, Int32(clamping: date.month))
        row.int32(CloudEventsColumn.day, Int32(clamping: date.day))
        row.int32(CloudEventsColumn.hour, Int32(clamping: Int64(hours) - days * 24))
        row.timestamp(CloudEventsColumn.receivedAt, request.receivedAt)
        if let source = request.sourceId { row.string(CloudEventsColumn.sourceId, source) }
    }

    /// A CloudEvents attribute name: one or more lower-case ASCII letters and digits.
    static func isAttributeName(_ name: [UInt8]) -> Bool {
        !name.isEmpty && name.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Base64 (RFC 4648 §4), its `=` padding optional.
    static func isBase64(_ text: ArraySlice<UInt8>) -> Bool {
        var padded = Data(text)
        if padded.count % 4 != 0 { padded.append(contentsOf: [UInt8](repeating: UInt8(ascii: "="), count: 4 - padded.count % 4)) }
        return Data(base64Encoded: padded) != nil
    }

    /// Where the `time` sent is kept when the timestamp policy replaced it.
    static let originalTimeExtension = Array("floeoriginaltime".utf8)

    /// The event's `time`, or the receive time when it has none or the timestamp policy refuses it.
    private func eventTime(_ attributes: Attributes) -> Int64 {
        guard let time = attributes.time else { return request.receivedAt }
        if !request.historical, let policy = request.timestampPolicy, !policy.keeps(time, receivedAt: request.receivedAt) {
            return request.receivedAt
        }
        return time
    }

    /// Counts an event whose time the policy replaced (once per event, on the HTTP path).
    func countAdjusted(_ attributes: Attributes) {
        if let time = attributes.time, eventTime(attributes) != time { TimestampPolicy.adjustedCloudEvents.increment() }
    }
}

import Buffer
import Foundation
import FloeSupport

/// Turns Segment/RudderStack spec messages into `events` rows (docs/design.md §2).
///
/// Payload objects (`properties`, `traits`, `context`, `integrations`) are stored as the bytes
/// that were sent; only `context` is rebuilt when batch-level members or `ip` must be merged in.
struct SegmentNormalizer {
    /// The six Segment message types.
    enum MessageType: String, CaseIterable, Sendable {
        case track, identify, page, screen, group, alias

        /// The `/v1/{path}` routes of the type: its name and its short form (`/v1/t|i|p|s|g|a`).
        var paths: [String] {
            [rawValue, String(rawValue.prefix(1))]
        }

        /// The type a message's `type` member (tape entry `entry`) names, compared in place.
        init?(entry: Int, in tape: JSONTape) {
            guard tape.kind(entry) == .string,
                  let type = Self.all.first(where: { tape.stringEquals(entry, $0.name) }) else { return nil }
            self = type
        }

        /// Every type, built once (`allCases` builds an array on each use).
        private static let all = allCases

        /// The type's name as a literal, for comparing in place (`rawValue` is a `String`).
        private var name: StaticString {
            switch self {
            case .track: "track"
            case .identify: "identify"
            case .page: "page"
            case .screen: "screen"
            case .group: "group"
            case .alias: "alias"
            }
        }
    }

    let tape: JSONTape
    let request: IngestContext

    /// A message that passed validation: the times that place it, and its members to write.
    struct Message {
        fileprivate var fields: Fields
        /// The message object's tape entry.
        var entry: Int
        var type: MessageType
        var batch: BatchFields
        /// Event time after clock-skew correction (live) or as recorded (historical).
        var timestamp: Int64
        var receivedAt: Int64
        var sentAt: Int64?

        /// The buffer partition: `{type}/{event hour}` of the `events` table.
        var partition: PartitionSlot { PartitionSlot(segment: type, hours: Timestamp.hours(timestamp)) }
    }

    /// Normalizes the message at `message` (an object entry) onto the end of `events`, or returns
    /// every problem found (and adds nothing).
    func normalize(message: Int, batch: BatchFields, pathType: MessageType?, index: Int?,
                   into events: inout EventBatch) -> ValidationErrors? {
        switch validate(message: message, batch: batch, pathType: pathType, index: index) {
        case .success(let valid):
            append(valid, to: &events)
            return nil
        case .failure(let errors):
            return errors
        }
    }

    /// Adds the message to `events`: its row in the buffer encoding, partition and dedup key.
    func append(_ message: Message, to events: inout EventBatch) {
        let dedupKey = message.fields.text(Fields.messageId, tape).flatMap(Self.dedupKey(messageId:))
        events.append(partition: message.partition.id, receivedAt: message.receivedAt, dedupKey: dedupKey) { bytes in
            RowEncoder.append(to: &bytes) { write(message, into: &$0) }
        }
    }

    /// The buffer's dedup key of a message: `s` then its `messageId` (nil when that is empty).
    static func dedupKey(messageId: ArraySlice<UInt8>) -> DedupKey? {
        guard !messageId.isEmpty else { return nil }
        var key = DedupKey()
        key.append(UInt8(ascii: "s"))
        key.append(contentsOf: messageId)
        return key
    }

    /// Checks the message at `message` (an object entry) and works out its times, or returns every problem found.
    func validate(message: Int, batch: BatchFields, pathType: MessageType?, index: Int?) -> Result<Message, ValidationErrors> {
        var issues: [ValidationIssue] = []
        func issue(_ field: String?, _ text: String) { issues.append(ValidationIssue(index: index, field: field, message: text)) }

        guard tape.kind(message) == .object else {
            return .failure(ValidationErrors([ValidationIssue(index: index, field: nil, message: "message must be a JSON object")]))
        }
        var fields = Fields()
        for (key, value) in tape.members(of: message) {
            fields.take(key: key, value: value, tape: tape, issue: issue)
        }

        var type = pathType
        if type == nil {
            if let entry = fields.textEntry(Fields.type) {
                type = MessageType(entry: entry, in: tape)
                if type == nil { issue("type", "unknown message type; expected one of track, identify, page, screen, group, alias") }
            } else {
                issue("type", "is required")
            }
        }
        if !fields.hasText(Fields.userId, tape) && !fields.hasText(Fields.anonymousId, tape) {
            issue("userId", "userId or anonymousId is required")
        }
        // Decoded, such an id would be U+FFFD there, the same as every other id that differs only there: its event
        // would be taken for theirs and dropped as a duplicate.
        if let id = fields.textEntry(Fields.messageId), tape.kind(id) == .string, tape.holdsLoneSurrogate(id) {
            issue("messageId", ValidationIssue.loneSurrogate)
        }
        switch type {
        case .track where !fields.hasText(Fields.event, tape): issue("event", "is required for track")
        case .alias where !fields.hasText(Fields.previousId, tape): issue("previousId", "is required for alias")
        case .group where !fields.hasText(Fields.groupId, tape): issue("groupId", "is required for group")
        default: break
        }

        let sentAt = fields.sentAt ?? batch.sentAt
        guard issues.isEmpty, let type else { return .failure(ValidationErrors(issues)) }

        let original = fields.deviceTime
        let receivedAt = request.historical ? (fields.receivedAt ?? request.receivedAt) : request.receivedAt
        var timestamp: Int64
        if request.historical {
            timestamp = fields.timestamp ?? original ?? receivedAt
        } else if let corrected = fields.timestamp, fields.originalTimestamp != nil {
            // Both: whoever recorded `originalTimestamp` (Segment's or RudderStack's server, an export, a
            // forwarded event) already corrected `timestamp` from it; correcting again would shift it twice.
            timestamp = corrected
        } else if let original, let sentAt {
            timestamp = receivedAt - (sentAt - original)
            // A skew that moves the time out of the years a partition path can name keeps the receipt time.
            if !Timestamp.storable.contains(timestamp) {
                timestamp = receivedAt
                TimestampPolicy.adjustedEvents.increment()
            }
        } else {
            timestamp = original ?? receivedAt
        }
        if !request.historical, let policy = request.timestampPolicy, !policy.keeps(timestamp, receivedAt: receivedAt) {
            timestamp = receivedAt
            TimestampPolicy.adjustedEvents.increment()
        }
        return .success(Message(fields: fields, entry: message, type: type, batch: batch, timestamp: timestamp,
                                receivedAt: receivedAt, sentAt: sentAt))
    }

    /// Writes the row of a validated message. Values are copied from the document in place.
    func write(_ message: Message, into row: inout some RowWriter) {
        tape.bytes.withUnsafeBufferPointer { document in write(message, document: document, into: &row) }
    }

    private func write(_ message: Message, document: UnsafeBufferPointer<UInt8>, into row: inout some RowWriter) {
        let fields = message.fields
        /// A text member: a string's text (decoded only when it holds escapes), or a number as written.
        func text(_ column: Int, _ entry: Int) {
            if tape.kind(entry) != .string {
                row.string(column, tape.raw(entry, in: document))
            } else if tape.hasEscapes(entry) {
                row.string(column, tape.stringBytes(entry))
            } else {
                row.string(column, tape.unescapedString(entry, in: document))
            }
        }
        if let messageId = fields.textEntry(Fields.messageId), tape.byteCount(messageId) > 2 || tape.kind(messageId) != .string {
            text(EventsColumn.messageId, messageId)
        } else {
            row.string(EventsColumn.messageId, MessageIdGenerator.next())
        }
        row.string(EventsColumn.type, message.type.rawValue)
        for (slot, column) in Fields.textColumns {
            if let entry = fields.textEntry(slot) { text(column, entry) }
        }
        for (slot, column) in Fields.payloadColumns where slot != Fields.context {
            // A member sent as null counts as absent, so `integrations: null` takes the batch's (as `context` does).
            let own = fields.payload(slot).flatMap { tape.kind($0) == .null ? nil : $0 }
            if let entry = own ?? (slot == Fields.integrations ? message.batch.integrations : nil),
               tape.kind(entry) != .null {
                if let privacy = request.privacy, let rules = privacy.rules(for: Fields.payloadNames[slot]) {
                    var out: [UInt8] = []
                    privacy.write(entry, in: tape, rules: rules, into: &out)
                    row.string(column, out)
                } else {
                    row.string(column, tape.raw(entry, in: document))
                }
            }
        }
        writeContext(into: &row, message: fields.payload(Fields.context), batch: message.batch.context, document: document)
        row.timestamp(EventsColumn.timestamp, message.timestamp)
        if let original = fields.deviceTime { row.timestamp(EventsColumn.originalTimestamp, original) }
        if let sentAt = message.sentAt { row.timestamp(EventsColumn.sentAt, sentAt) }
        row.timestamp(EventsColumn.receivedAt, message.receivedAt)
        if let source = request.sourceId { row.string(EventsColumn.sourceId, source) }
    }

    /// Writes the context column: the message's context with batch-level members it lacks and
    /// `ip` from the request, the privacy rules applied. When nothing needs merging or changing,
    /// the bytes are copied as sent.
    private func writeContext(into row: inout some RowWriter, message: Int?, batch: Int?,
                              document: UnsafeBufferPointer<UInt8>) {
        let own = message.flatMap { tape.kind($0) == .object ? $0 : nil }
        let shared = batch.flatMap { tape.kind($0) == .object ? $0 : nil }
        let address = request.privacy.map { $0.clientAddress(request.clientIP) } ?? request.clientIP
        let rules = request.privacy?.rules(for: "context")
        if let own, shared == nil, rules == nil {
            let needsIP = address != nil && !tape.members(of: own).contains { tape.stringEquals($0.key, "ip") }
            if !needsIP {
                row.string(EventsColumn.context, tape.raw(own, in: document))
                return
            }
        }
        var members: [(key: Int, value: Int)] = own.map { Array(tape.members(of: $0)) } ?? []
        if let shared {
            var names = Set(members.map { tape.stringBytes($0.key) })
            for member in tape.members(of: shared) where names.insert(tape.stringBytes(member.key)).inserted {
                members.append(member)
            }
        }
        let hasIP = members.contains { tape.stringEquals($0.key, "ip") }
        let ip = hasIP ? nil : address
        if members.isEmpty && ip == nil { return }
        var out: [UInt8] = [UInt8(ascii: "{")]
        var written = 0
        for member in members {
            if let privacy = request.privacy, let rules {
                if privacy.appendMember(key: member.key, value: member.value, in: tape,
                                        rule: rules.children[tape.string(member.key)], comma: written > 0, into: &out) {
                    written += 1
                }
                continue
            }
            if written > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: tape.raw(member.key))
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: tape.raw(member.value))
            written += 1
        }
        if let ip {
            if written > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "\"ip\":".utf8)
            JSONString.appendQuoted(ip, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        row.string(EventsColumn.context, out)
    }
}

/// The recognised members of one message, gathered in a single pass.
private struct Fields {
    static let type = 0, messageId = 1, userId = 2, anonymousId = 3, event = 4, name = 5
    static let category = 6, groupId = 7, previousId = 8
    static let properties = 0, traits = 1, context = 2, integrations = 3
    /// Member names of the payload slots, for the privacy rules.
    static let payloadNames = ["properties", "traits", "context", "integrations"]

    static let textColumns: [(Int, Int)] = [
        (userId, EventsColumn.userId), (anonymousId, EventsColumn.anonymousId), (event, EventsColumn.event),
        (name, EventsColumn.name), (category, EventsColumn.category), (groupId, EventsColumn.groupId),
        (previousId, EventsColumn.previousId),
    ]
    static let payloadColumns: [(Int, Int)] = [
        (properties, EventsColumn.properties), (traits, EventsColumn.traits),
        (context, EventsColumn.context), (integrations, EventsColumn.integrations),
    ]

    /// Tape entries of the text members and payload objects by slot (-1: absent or null);
    /// stored inline, so gathering a message's members allocates nothing.
    private var textEntries = InlineArray<9, Int32>(repeating: -1)
    private var payloadEntries = InlineArray<4, Int32>(repeating: -1)
    var timestamp: Int64?
    /// `originalTimestamp`: the device's time, what RudderStack's JavaScript and mobile SDKs send instead of
    /// `timestamp`. Beside a `timestamp` (events that went through Segment or RudderStack) it is the time as the
    /// device recorded it and `timestamp` the corrected one.
    var originalTimestamp: Int64?
    var sentAt: Int64?
    var receivedAt: Int64?

    /// The event time as the device recorded it: `originalTimestamp`, else `timestamp`.
    var deviceTime: Int64? { originalTimestamp ?? timestamp }

    /// A text member's tape entry (a string or a number), nil when absent or null.
    func textEntry(_ slot: Int) -> Int? {
        let entry = Int(textEntries[slot])
        return entry >= 0 ? entry : nil
    }

    /// A text member's bytes: a string's decoded text, or a number as written.
    func text(_ slot: Int, _ tape: JSONTape) -> ArraySlice<UInt8>? {
        let entry = Int(textEntries[slot])
        guard entry >= 0 else { return nil }
        return tape.kind(entry) == .string ? tape.stringBytes(entry) : tape.raw(entry)
    }

    /// Whether a text member is present and not empty: a string of at least one character or a number
    /// (read in place; an escape always stands for a character).
    func hasText(_ slot: Int, _ tape: JSONTape) -> Bool {
        guard let entry = textEntry(slot) else { return false }
        return tape.kind(entry) != .string || tape.byteCount(entry) > 2
    }

    /// A payload member's tape entry (an object, or null).
    func payload(_ slot: Int) -> Int? {
        let entry = Int(payloadEntries[slot])
        return entry >= 0 ? entry : nil
    }

    mutating func take(key: Int, value: Int, tape: JSONTape, issue: (String?, String) -> Void) {
        let slot: Int
        // The name's length picks the candidates; a name written with escapes is measured decoded.
        switch tape.hasEscapes(key) ? tape.stringBytes(key).count : tape.byteCount(key) - 2 {
        case 4 where tape.stringEquals(key, "type"): slot = Self.type
        case 9 where tape.stringEquals(key, "messageId"): slot = Self.messageId
        case 6 where tape.stringEquals(key, "userId"): slot = Self.userId
        case 11 where tape.stringEquals(key, "anonymousId"): slot = Self.anonymousId
        case 5 where tape.stringEquals(key, "event"): slot = Self.event
        case 4 where tape.stringEquals(key, "name"): slot = Self.name
        case 8 where tape.stringEquals(key, "category"): slot = Self.category
        case 7 where tape.stringEquals(key, "groupId"): slot = Self.groupId
        case 10 where tape.stringEquals(key, "previousId"): slot = Self.previousId
        case 10 where tape.stringEquals(key, "properties"): takePayload(Self.properties, "properties", value, tape, issue); return
        case 6 where tape.stringEquals(key, "traits"): takePayload(Self.traits, "traits", value, tape, issue); return
        case 7 where tape.stringEquals(key, "context"): takePayload(Self.context, "context", value, tape, issue); return
        case 12 where tape.stringEquals(key, "integrations"): takePayload(Self.integrations, "integrations", value, tape, issue); return
        case 9 where tape.stringEquals(key, "timestamp"): timestamp = takeTime("timestamp", value, tape, issue); return
        case 17 where tape.stringEquals(key, "originalTimestamp"):
            originalTimestamp = takeTime("originalTimestamp", value, tape, issue); return
        case 6 where tape.stringEquals(key, "sentAt"): sentAt = takeTime("sentAt", value, tape, issue); return
        case 10 where tape.stringEquals(key, "receivedAt"): receivedAt = takeTime("receivedAt", value, tape, issue); return
        default: return
        }
        switch tape.kind(value) {
        case .string, .number: textEntries[slot] = Int32(value)
        case .null: textEntries[slot] = -1
        default: issue(tape.string(key), "must be a string")
        }
    }

    private mutating func takePayload(_ slot: Int, _ name: String, _ value: Int, _ tape: JSONTape,
                                      _ issue: (String?, String) -> Void) {
        switch tape.kind(value) {
        case .object, .null: payloadEntries[slot] = Int32(value)
        default: issue(name, "must be an object")
        }
    }

    private func takeTime(_ name: String, _ value: Int, _ tape: JSONTape, _ issue: (String?, String) -> Void) -> Int64? {
        switch tape.kind(value) {
        case .null: return nil
        case .string:
            if let micros = tape.withStringBytes(value, { Timestamp.parse($0) }) { return micros }
            issue(name, "is not an ISO-8601 timestamp")
            return nil
        default:
            issue(name, "must be an ISO-8601 string")
            return nil
        }
    }
}

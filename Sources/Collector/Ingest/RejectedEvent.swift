import Buffer
import Crypto

/// An event refused on its own while the rest of its request is stored: a row of the
/// `rejected` table (``TableDefinition/rejected``), buffered and committed like any event.
///
/// Retries of the same request store it once: its dedup key is the event's own identity when it
/// has one (`messageId`; CloudEvents `source` and `id`), else a digest of the route, its position in
/// the batch and its bytes (so the same bytes at two positions of one batch are two rows).
struct RejectedEvent: Sendable {
    /// `segment` or `cloudevents`: the partition value, and which table the event was meant for.
    var format: String
    /// Position in the batch (nil for single-event routes).
    var index: Int?
    /// What the `event` column records: the event's JSON as sent, the privacy rules applied (and for a Segment
    /// message, without its `writeKey`; ``PrivacyRules/message(_:in:)``).
    var raw: ArraySlice<UInt8>
    /// The event as sent: its size is `event_bytes`, and an event with no identity of its own is told apart by
    /// these bytes (what is recorded may be empty for many different events).
    var sent: ArraySlice<UInt8>
    /// Every problem found, without the batch position (``ValidationIssue/reason``).
    var reasons: [String]
    /// The event's own identity, when it has a usable one (see ``identity(format:tape:entry:)``).
    var identity: [UInt8]?

    /// `sent` defaults to `raw` (recorded as sent).
    init(format: String, index: Int?, raw: ArraySlice<UInt8>, sent: ArraySlice<UInt8>? = nil, reasons: [String],
         identity: [UInt8]? = nil) {
        self.format = format
        self.index = index
        self.raw = raw
        self.sent = sent ?? raw
        self.reasons = reasons
        self.identity = identity
    }

    /// `messageId` of a Segment message, or `source` NUL `id` of a CloudEvent, when they are
    /// non-empty strings: a retry re-encoded by a client (other spacing or key order) is still the
    /// same event.
    static func identity(format: String, tape: JSONTape, entry: Int) -> [UInt8]? {
        guard tape.kind(entry) == .object else { return nil }
        var messageId: ArraySlice<UInt8>?, source: ArraySlice<UInt8>?, id: ArraySlice<UInt8>?
        for (key, value) in tape.members(of: entry) where tape.kind(value) == .string {
            if tape.stringEquals(key, "messageId") { messageId = tape.stringBytes(value) }
            else if tape.stringEquals(key, "source") { source = tape.stringBytes(value) }
            else if tape.stringEquals(key, "id") { id = tape.stringBytes(value) }
        }
        if format == "segment" {
            guard let messageId, !messageId.isEmpty else { return nil }
            return [UInt8(ascii: "s")] + messageId
        }
        guard let source, let id, !source.isEmpty, !id.isEmpty else { return nil }
        var identity: [UInt8] = []
        CloudEventNormalizer.identity(source: source, id: id) { identity.append($0) }
        return identity
    }

    /// Adds the row, cut to `maxEventBytes` of JSON (at a UTF-8 character boundary), to `events`.
    func append(to events: inout EventBatch, request: IngestContext, maxEventBytes: Int) {
        var key = DedupKey()
        key.append(UInt8(ascii: "r"))
        if let identity {
            key.append(contentsOf: identity[...])
        } else {
            var digest = SHA256()
            digest.update(data: Array(request.route.utf8))
            digest.update(data: [0])
            digest.update(data: Array((index.map(String.init) ?? "").utf8))
            digest.update(data: [0])
            sent.withUnsafeBytes { digest.update(bufferPointer: $0) }
            key.append(UInt8(ascii: "h"))
            key.append(contentsOf: ArraySlice(digest.finalize().prefix(16)))
        }
        events.append(partition: partition(receivedAt: request.receivedAt).id, receivedAt: request.receivedAt, dedupKey: key) { bytes in
            RowEncoder.append(to: &bytes) { write(into: &$0, request: request, maxEventBytes: maxEventBytes) }
        }
    }

    /// The `rejected` partition: format and hour of receipt.
    func partition(receivedAt: Int64) -> PartitionSlot {
        PartitionSlot(rejected: format, hours: Timestamp.hours(receivedAt))
    }

    /// Writes the row (the HTTP path into the buffer encoding, backfill into column buffers).
    func write(into row: inout some RowWriter, request: IngestContext, maxEventBytes: Int) {
        row.timestamp(RejectedColumn.receivedAt, request.receivedAt)
        row.string(RejectedColumn.format, format)
        row.string(RejectedColumn.route, request.route)
        if let requestId = request.requestId { row.string(RejectedColumn.requestId, requestId) }
        if let source = request.sourceId { row.string(RejectedColumn.sourceId, source) }
        if let index { row.int32(RejectedColumn.batchIndex, Int32(clamping: index)) }
        row.string(RejectedColumn.event, Self.repairingUTF8(Self.prefix(raw, maxBytes: maxEventBytes)))
        row.int32(RejectedColumn.eventBytes, Int32(clamping: sent.count))
        row.stringList(RejectedColumn.reasons, reasons.map { Array($0.utf8) })
    }

    /// `bytes`, or when they are not UTF-8 (a backfill line can be anything) their text with U+FFFD for each
    /// bad sequence: the `event` column is a Parquet string, which readers such as DuckDB require to be UTF-8.
    static func repairingUTF8(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        if String(validating: bytes, as: UTF8.self) != nil { return bytes }
        return ArraySlice(String(decoding: bytes, as: UTF8.self).utf8)
    }

    /// The longest prefix of `bytes` of at most `maxBytes` that does not split a UTF-8 character.
    static func prefix(_ bytes: ArraySlice<UInt8>, maxBytes: Int) -> ArraySlice<UInt8> {
        guard bytes.count > maxBytes else { return bytes }
        var end = bytes.startIndex + max(0, maxBytes)
        while end > bytes.startIndex, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return bytes[bytes.startIndex..<end]
    }
}

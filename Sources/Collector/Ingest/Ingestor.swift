import Buffer
import Foundation
import FloeSupport

/// Validates and normalizes request bodies and stores the resulting rows in the buffer.
///
/// Batches are accepted event by event (docs/design.md §3): valid events go to their table,
/// each invalid one to the `rejected` table with its reasons, in one buffer transaction, so
/// either all of a request's rows are durably buffered when a method returns or none is. A
/// single-event route with an invalid event stores it in `rejected` and answers 400. With
/// ``strict``, one invalid event refuses its whole batch and nothing is stored. Bodies that are
/// not JSON, not of the right shape or not authorized are refused as a whole. `authorize` is
/// called with the body's `writeKey` (if any) after parsing and before anything is stored, and
/// returns the source id recorded in the `source_id` column.
struct Ingestor: Sendable {
    typealias Authorize = (_ bodyWriteKey: String?) throws -> String?

    let buffer: EventBuffer
    let metrics: IngestMetrics
    /// Largest single event inside a batch, in bytes (413 above); default 32 KB as Segment's API.
    var maxEventBytes = 32 * 1024
    /// Refuses requests with 503 while flushing is too far behind (nil: never); see ``admit()``.
    var backlog: FlushBacklog?
    /// One invalid event refuses its whole batch (400, nothing stored), as the seed did; default off.
    var strict = false

    /// What a request stored.
    struct Outcome: Sendable {
        /// Valid events of the request (stored now or earlier, see `duplicates`).
        var accepted: Int
        var duplicates: Int
        /// Events stored in the `rejected` table instead, with their position and reasons.
        var rejected: [RejectedEvent] = []
    }

    /// `/v1/batch` and `/v1/import`: `{"batch":[...], "context"?, "integrations"?, "sentAt"?, "writeKey"?}`.
    func segmentBatch(_ body: [UInt8], request: IngestContext, authorize: Authorize) async throws -> Outcome {
        let tape = try parse(body)
        guard tape.kind(tape.root) == .object else {
            _ = try authorize(nil)
            throw reject(APIError.badRequest("body must be a JSON object with a \"batch\" array"), events: 1)
        }
        var batchArray: Int?
        let fields = SegmentNormalizer.BatchFields(of: tape.root, in: tape)
        var writeKey: String?
        for (key, value) in tape.members(of: tape.root) {
            if tape.stringEquals(key, "batch") { batchArray = value }
            else if tape.stringEquals(key, "writeKey"), tape.kind(value) == .string { writeKey = tape.string(value) }
        }
        var request = request
        request.sourceId = try authorize(writeKey)
        guard let batchArray, tape.kind(batchArray) == .array else {
            throw reject(APIError.badRequest("\"batch\" must be an array of messages"), events: 1)
        }
        // A bad envelope is the request's fault, not one event's: refused as a whole.
        guard fields.issues.isEmpty else {
            throw reject(APIError.invalid(ValidationErrors(fields.issues)), events: tape.elements(of: batchArray).count)
        }
        let normalizer = SegmentNormalizer(tape: tape, request: request)
        let messages = tape.elements(of: batchArray)
        if strict { try checkEventSizes(messages, in: tape) }
        var sorted = Sorted(format: "segment", tape: tape, maxEventBytes: strict ? nil : maxEventBytes, privacy: request.privacy)
        // Rows are about as long as the JSON they come from; the batch's bytes then grow once at most.
        sorted.events = EventBatch(events: messages.count, bytes: body.count + 64 * messages.count)
        for (index, message) in messages.enumerated() where sorted.fits(message, index: index) {
            sorted.add(normalizer.normalize(message: message, batch: fields, pathType: nil, index: index, into: &sorted.events),
                       entry: message, index: index)
        }
        return try await store(sorted, table: TableDefinition.events.name, request: request)
    }

    /// `/v1/{type}`: one message; the path decides its type.
    func segmentMessage(_ body: [UInt8], type: SegmentNormalizer.MessageType, request: IngestContext,
                        authorize: Authorize) async throws -> Outcome {
        let tape = try parse(body)
        var writeKey: String?
        if tape.kind(tape.root) == .object {
            for (key, value) in tape.members(of: tape.root) where tape.stringEquals(key, "writeKey") && tape.kind(value) == .string {
                writeKey = tape.string(value)
            }
        }
        var request = request
        request.sourceId = try authorize(writeKey)
        let normalizer = SegmentNormalizer(tape: tape, request: request)
        var sorted = Sorted(format: "segment", tape: tape, maxEventBytes: nil, privacy: request.privacy)
        sorted.events = EventBatch(events: 1, bytes: body.count + 64)
        sorted.add(normalizer.normalize(message: tape.root, batch: .init(), pathType: type, index: nil, into: &sorted.events),
                   entry: tape.root, index: nil)
        return try await storeSingle(sorted, table: TableDefinition.events.name, request: request)
    }

    /// `/events` (one structured CloudEvent) and `/events/batch` (`[...]` or `{"events":[...]}`).
    func cloudEvents(_ body: [UInt8], request: IngestContext, batch: Bool, authorize: Authorize) async throws -> Outcome {
        let tape = try parse(body)
        var request = request
        request.sourceId = try authorize(nil)
        var elements: [Int]
        if batch {
            if tape.kind(tape.root) == .array {
                elements = tape.elements(of: tape.root)
            } else if tape.kind(tape.root) == .object,
                      let member = tape.members(of: tape.root).first(where: { tape.stringEquals($0.key, "events") }),
                      tape.kind(member.value) == .array {
                elements = tape.elements(of: member.value)
            } else {
                throw reject(APIError.badRequest("body must be a JSON array of CloudEvents or {\"events\":[...]}"), events: 1)
            }
        } else {
            elements = [tape.root]
        }
        if batch && strict { try checkEventSizes(elements, in: tape) }
        let normalizer = CloudEventNormalizer(request: request)
        var sorted = Sorted(format: "cloudevents", tape: tape, maxEventBytes: batch && !strict ? maxEventBytes : nil)
        sorted.events = EventBatch(events: elements.count, bytes: body.count + 64 * elements.count)
        for (index, element) in elements.enumerated() where sorted.fits(element, index: batch ? index : nil) {
            sorted.add(normalizer.normalize(tape: tape, event: element, index: batch ? index : nil, into: &sorted.events),
                       entry: element, index: batch ? index : nil)
        }
        return batch ? try await store(sorted, table: TableDefinition.cloudEvents.name, request: request)
            : try await storeSingle(sorted, table: TableDefinition.cloudEvents.name, request: request)
    }

    /// HTTP binary mode: attributes in `ce-*` headers (``CloudEventHeaderValue``), the body is the data.
    func binaryCloudEvent(headers: [(name: String, value: String)], contentType: String?, body: [UInt8],
                          request: IngestContext, authorize: Authorize) async throws -> Outcome {
        var request = request
        request.sourceId = try authorize(nil)
        var attributes = CloudEventNormalizer.Attributes()
        var issues: [ValidationIssue] = []
        for (name, value) in headers {
            let lowered = name.lowercased()
            guard lowered.hasPrefix("ce-"), lowered.count > 3 else { continue }
            let attribute = String(lowered.dropFirst(3))
            guard let decoded = CloudEventHeaderValue.decode(value) else {
                issues.append(ValidationIssue(index: nil, field: "ce-" + attribute, message:
                    "is not UTF-8 once percent-decoded (CloudEvents HTTP binding §3.1.3.2)", fieldKind: "ce-*"))
                continue
            }
            if attribute == "time" {
                attributes.time = Timestamp.parse(decoded)
                if attributes.time == nil { issues.append(ValidationIssue(index: nil, field: "time", message: "is not an RFC 3339 timestamp")) }
            } else if let column = CloudEventNormalizer.stringAttributes.first(where: { $0.0.description == attribute })?.1 {
                attributes.strings[column] = ArraySlice(decoded)
            } else {
                attributes.extensions.append((Array(attribute.utf8), decoded))
            }
        }
        attributes.keepLastOfEachExtension()
        if let contentType { attributes.strings[CloudEventsColumn.datacontenttype] = ArraySlice(contentType.utf8) }
        if !body.isEmpty {
            // Stored as sent: text when the body is UTF-8, base64 otherwise (like `data_base64`).
            if String(validating: body, as: UTF8.self) != nil {
                attributes.data = ArraySlice(body)
            } else {
                attributes.data = ArraySlice(Data(body).base64EncodedString().utf8)
            }
        }
        var sorted = Sorted(format: "cloudevents", tape: nil, maxEventBytes: nil)
        let errors = issues.isEmpty ? CloudEventNormalizer(request: request).normalize(attributes, index: nil, into: &sorted.events)
            : ValidationErrors(issues)
        sorted.add(errors, raw: Self.binaryEventJSON(headers: headers, body: body), index: nil)
        return try await storeSingle(sorted, table: TableDefinition.cloudEvents.name, request: request)
    }

    /// What the `rejected` table records of a binary-mode CloudEvent: its `ce-*` headers and
    /// (UTF-8) body as one JSON object, since there is no JSON event as sent.
    static func binaryEventJSON(headers: [(name: String, value: String)], body: [UInt8]) -> ArraySlice<UInt8> {
        var object: [String: String] = [:]
        for (name, value) in headers where name.lowercased().hasPrefix("ce-") { object[name.lowercased()] = value }
        object["data"] = String(validating: body, as: UTF8.self) ?? "(\(body.count) bytes, not UTF-8)"
        let text = object.sorted { $0.key < $1.key }
            .map { "\(JSONString.quoted($0.key)):\(JSONString.quoted($0.value))" }.joined(separator: ",")
        return ArraySlice(Array("{\(text)}".utf8))
    }

    /// 413 when any event of a batch is over the per-event limit, naming each.
    private func checkEventSizes(_ elements: [Int], in tape: JSONTape) throws {
        var oversized: [String] = []
        for (index, element) in elements.enumerated() where tape.raw(element).count > maxEventBytes {
            oversized.append("batch[\(index)]: event is \(tape.raw(element).count) bytes; the limit is \(maxEventBytes) bytes per event")
        }
        guard oversized.isEmpty else {
            throw reject(APIError(status: .contentTooLarge, message: oversized.count == 1 ? oversized[0]
                                      : "\(oversized.count) events are over the limit of \(maxEventBytes) bytes per event",
                                  errors: oversized), events: elements.count)
        }
    }

    /// Refuses a request at the door, before its body is read, while the flush backlog is over its
    /// limit (503 with `Retry-After`, ``FlushBacklog``). A refused request then costs no parsing,
    /// which under overload is CPU the flush needs to catch up (Benchmarks/README.md, session 16).
    /// Its events are not known, so it counts as one in `floe_events_refused_total`.
    func admit() throws(APIError) {
        do {
            try backlog?.admit()
        } catch {
            throw reject(error, events: 1)
        }
    }

    /// The body's JSON; a UTF-8 byte order mark before it is skipped (RFC 8259 §8.1 lets a parser ignore one, and
    /// some Windows tools write one), as backfill skips one before a line.
    private func parse(_ body: [UInt8]) throws -> JSONTape {
        do {
            return try JSONTape(parsing: body.starts(with: JSONTape.byteOrderMark) ? body.dropFirst(JSONTape.byteOrderMark.count) : body[...])
        } catch {
            throw reject(APIError.badRequest("malformed JSON: \(error.description)"), events: 1)
        }
    }

    private func reject(_ error: APIError, events: Int) -> APIError {
        metrics.refused(events)
        return error
    }

    /// A request's events sorted into valid rows and rejected events.
    private struct Sorted {
        let format: String
        let tape: JSONTape?
        /// Events over this size are rejected on their own (nil: checked elsewhere).
        let maxEventBytes: Int?
        /// Applied to a rejected Segment message before it is recorded, as to a stored one.
        var privacy: PrivacyRules?
        /// The valid events' rows, written by the normalizers.
        var events = EventBatch()
        var rejected: [RejectedEvent] = []
        var issues: [ValidationIssue] = []

        init(format: String, tape: JSONTape?, maxEventBytes: Int?, privacy: PrivacyRules? = nil) {
            self.format = format
            self.tape = tape
            self.maxEventBytes = maxEventBytes
            self.privacy = privacy
        }

        /// False (and the event rejected) when the event at `entry` is over the per-event limit.
        mutating func fits(_ entry: Int, index: Int?) -> Bool {
            guard let maxEventBytes, let tape, tape.raw(entry).count > maxEventBytes else { return true }
            let raw = recorded(entry, in: tape)
            // Fixed text (a bounded metric label); the event's size is in the row's `event_bytes`.
            let reason = "event is over the limit of \(maxEventBytes) bytes per event"
            rejected.append(RejectedEvent(format: format, index: index, raw: raw, sent: tape.raw(entry),
                                          reasons: [reason], identity: RejectedEvent.identity(format: format, tape: tape, entry: entry)))
            issues.append(ValidationIssue(index: index, field: nil, message: reason))
            return false
        }

        /// The event as the `rejected` table records it: a CloudEvent as sent; a Segment message with the privacy
        /// rules applied and without its `writeKey` (``PrivacyRules/message(_:in:)``).
        private func recorded(_ entry: Int, in tape: JSONTape) -> ArraySlice<UInt8> {
            guard format == "segment" else { return tape.raw(entry) }
            return (privacy ?? .noRules).message(entry, in: tape)
        }

        /// Records the normalizer's verdict on the event at `entry`: nil when it went into ``events``.
        mutating func add(_ errors: ValidationErrors?, entry: Int, index: Int?) {
            guard let errors else { return }
            // What the `rejected` table records is worked out only for an event it will hold.
            reject(errors, raw: tape.map { recorded(entry, in: $0) } ?? [], sent: tape.map { $0.raw(entry) },
                   index: index, identity: tape.flatMap { RejectedEvent.identity(format: format, tape: $0, entry: entry) })
        }

        mutating func add(_ errors: ValidationErrors?, raw: ArraySlice<UInt8>, index: Int?) {
            guard let errors else { return }
            reject(errors, raw: raw, sent: nil, index: index, identity: nil)
        }

        private mutating func reject(_ errors: ValidationErrors, raw: ArraySlice<UInt8>, sent: ArraySlice<UInt8>?,
                                     index: Int?, identity: [UInt8]?) {
            rejected.append(RejectedEvent(format: format, index: index, raw: raw, sent: sent,
                                          reasons: errors.issues.map(\.reason), identity: identity))
            issues += errors.issues
        }
    }

    /// Batch routes: valid events and rejected ones in one transaction (or, strict, 400 for any invalid).
    private func store(_ sorted: Sorted, table: String, request: IngestContext) async throws -> Outcome {
        if strict, !sorted.issues.isEmpty {
            throw reject(APIError.invalid(ValidationErrors(sorted.issues)), events: sorted.events.count + sorted.rejected.count)
        }
        return try await store(sorted.events, rejected: sorted.rejected, table: table, request: request)
    }

    /// Single-event routes: an invalid event is recorded in `rejected`, then answered with 400.
    private func storeSingle(_ sorted: Sorted, table: String, request: IngestContext) async throws -> Outcome {
        let outcome = try await store(sorted.events, rejected: sorted.rejected, table: table, request: request)
        if !sorted.issues.isEmpty { throw APIError.invalid(ValidationErrors(sorted.issues)) }
        return outcome
    }

    private func store(_ events: EventBatch, rejected: [RejectedEvent], table: String,
                       request: IngestContext) async throws -> Outcome {
        var rows = events
        if !rejected.isEmpty {
            var request = request
            if request.requestId == nil { request.requestId = MessageIdGenerator.next() }
            for event in rejected {
                event.append(to: &rows, request: request, maxEventBytes: maxEventBytes)
            }
        }
        do {
            let outcome = try await buffer.append(rows)
            let duplicates = outcome.duplicatesByTable[table] ?? 0
            metrics.accepted(table: table, stored: events.count - duplicates, duplicates: duplicates)
            if !rejected.isEmpty {
                // A retry's rejected events are already recorded: they are counted once, as they are stored.
                let repeated = min(rejected.count, outcome.duplicatesByTable[TableDefinition.rejected.name] ?? 0)
                metrics.accepted(table: TableDefinition.rejected.name, stored: rejected.count - repeated, duplicates: repeated)
                for event in rejected.dropLast(repeated) { metrics.rejected(reasons: event.reasons) }
            }
            return Outcome(accepted: events.count, duplicates: duplicates, rejected: rejected)
        } catch let error as BufferError {
            metrics.refused(rows.count)
            throw APIError.buffer(error)
        }
    }
}

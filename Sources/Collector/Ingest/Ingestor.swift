import Buffer
import Foundation

/// Validates and normalizes request bodies and stores the resulting rows in the buffer.
///
/// Every method is all-or-nothing: either every event of the body is durably buffered when it
/// returns, or it throws and nothing was stored. `authorize` is called with the body's
/// `writeKey` (if any) after parsing and before anything is stored.
struct Ingestor: Sendable {
    typealias Authorize = (_ bodyWriteKey: String?) throws -> Void

    let buffer: EventBuffer
    let metrics: IngestMetrics
    /// Largest single event inside a batch, in bytes (413 above); default 32 KB as Segment's API.
    var maxEventBytes = 32 * 1024
    /// Refuses valid requests with 503 while flushing is too far behind (nil: never).
    var backlog: FlushBacklog?

    /// What a request stored.
    struct Outcome: Sendable {
        var accepted: Int
        var duplicates: Int
    }

    /// `/v1/batch` and `/v1/import`: `{"batch":[...], "context"?, "integrations"?, "sentAt"?, "writeKey"?}`.
    func segmentBatch(_ body: [UInt8], request: IngestContext, authorize: Authorize) async throws -> Outcome {
        let tape = try parse(body)
        guard tape.kind(tape.root) == .object else {
            try authorize(nil)
            throw reject(APIError.badRequest("body must be a JSON object with a \"batch\" array"), events: 1)
        }
        var batchArray: Int?
        var fields = SegmentNormalizer.BatchFields()
        var writeKey: String?
        for (key, value) in tape.members(of: tape.root) {
            if tape.stringEquals(key, "batch") { batchArray = value }
            else if tape.stringEquals(key, "context") { fields.context = value }
            else if tape.stringEquals(key, "integrations") { fields.integrations = value }
            else if tape.stringEquals(key, "sentAt") { fields.sentAt = tape.kind(value) == .null ? nil : value }
            else if tape.stringEquals(key, "writeKey"), tape.kind(value) == .string { writeKey = tape.string(value) }
        }
        try authorize(writeKey)
        guard let batchArray, tape.kind(batchArray) == .array else {
            throw reject(APIError.badRequest("\"batch\" must be an array of messages"), events: 1)
        }
        let normalizer = SegmentNormalizer(tape: tape, request: request)
        var events: [BufferedEvent] = []
        var issues: [ValidationIssue] = []
        let messages = tape.elements(of: batchArray)
        try checkEventSizes(messages, in: tape)
        events.reserveCapacity(messages.count)
        for (index, message) in messages.enumerated() {
            switch normalizer.normalize(message: message, batch: fields, pathType: nil, index: index) {
            case .success(let event): events.append(event)
            case .failure(let errors): issues += errors.issues
            }
        }
        if !issues.isEmpty { throw reject(APIError.invalid(ValidationErrors(issues)), events: messages.count) }
        return try await store(events, table: TableDefinition.events.name)
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
        try authorize(writeKey)
        let normalizer = SegmentNormalizer(tape: tape, request: request)
        switch normalizer.normalize(message: tape.root, batch: .init(), pathType: type, index: nil) {
        case .success(let event): return try await store([event], table: TableDefinition.events.name)
        case .failure(let errors): throw reject(APIError.invalid(errors), events: 1)
        }
    }

    /// `/events` (one structured CloudEvent) and `/events/batch` (`[...]` or `{"events":[...]}`).
    func cloudEvents(_ body: [UInt8], request: IngestContext, batch: Bool, authorize: Authorize) async throws -> Outcome {
        let tape = try parse(body)
        try authorize(nil)
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
        if batch { try checkEventSizes(elements, in: tape) }
        let normalizer = CloudEventNormalizer(request: request)
        var events: [BufferedEvent] = []
        var issues: [ValidationIssue] = []
        for (index, element) in elements.enumerated() {
            switch normalizer.normalize(tape: tape, event: element, index: batch ? index : nil) {
            case .success(let event): events.append(event)
            case .failure(let errors): issues += errors.issues
            }
        }
        if !issues.isEmpty { throw reject(APIError.invalid(ValidationErrors(issues)), events: elements.count) }
        return try await store(events, table: TableDefinition.cloudEvents.name)
    }

    /// HTTP binary mode: attributes in `ce-*` headers (percent-decoded), the body is the data.
    func binaryCloudEvent(headers: [(name: String, value: String)], contentType: String?, body: [UInt8],
                          request: IngestContext, authorize: Authorize) async throws -> Outcome {
        try authorize(nil)
        var attributes = CloudEventNormalizer.Attributes()
        var issues: [ValidationIssue] = []
        for (name, value) in headers {
            let lowered = name.lowercased()
            guard lowered.hasPrefix("ce-"), lowered.count > 3 else { continue }
            let attribute = String(lowered.dropFirst(3))
            let decoded = Array((value.removingPercentEncoding ?? value).utf8)
            if attribute == "time" {
                attributes.time = Timestamp.parse(decoded)
                if attributes.time == nil { issues.append(ValidationIssue(index: nil, field: "time", message: "is not an RFC 3339 timestamp")) }
            } else if let column = CloudEventNormalizer.stringAttributes.first(where: { $0.0.description == attribute })?.1 {
                attributes.strings[column] = ArraySlice(decoded)
            } else {
                attributes.extensions.append((Array(attribute.utf8), decoded))
            }
        }
        if let contentType { attributes.strings[CloudEventsColumn.datacontenttype] = ArraySlice(contentType.utf8) }
        if !body.isEmpty {
            // Stored as sent: text when the body is UTF-8, base64 otherwise (like `data_base64`).
            if String(validating: body, as: UTF8.self) != nil {
                attributes.data = ArraySlice(body)
            } else {
                attributes.data = ArraySlice(Data(body).base64EncodedString().utf8)
            }
        }
        if !issues.isEmpty { throw reject(APIError.invalid(ValidationErrors(issues)), events: 1) }
        switch CloudEventNormalizer(request: request).normalize(attributes, index: nil) {
        case .success(let event): return try await store([event], table: TableDefinition.cloudEvents.name)
        case .failure(let errors): throw reject(APIError.invalid(errors), events: 1)
        }
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

    private func parse(_ body: [UInt8]) throws -> JSONTape {
        do {
            return try JSONTape(parsing: body)
        } catch {
            throw reject(APIError.badRequest("malformed JSON: \(error.description)"), events: 1)
        }
    }

    private func reject(_ error: APIError, events: Int) -> APIError {
        metrics.rejected(events)
        return error
    }

    private func store(_ events: [BufferedEvent], table: String) async throws -> Outcome {
        do {
            try backlog?.admit()
        } catch {
            metrics.rejected(events.count)
            throw error
        }
        do {
            let outcome = try await buffer.append(events)
            metrics.accepted(table: table, stored: outcome.stored, duplicates: outcome.duplicates)
            return Outcome(accepted: events.count, duplicates: outcome.duplicates)
        } catch let error as BufferError {
            metrics.rejected(events.count)
            throw APIError.buffer(error)
        }
    }
}

import Buffer

/// Validates and normalizes request bodies and stores the resulting rows in the buffer.
///
/// Every method is all-or-nothing: either every event of the body is durably buffered when it
/// returns, or it throws and nothing was stored.
struct Ingestor: Sendable {
    let buffer: EventBuffer

    /// `/v1/batch` and `/v1/import`: `{"batch":[...], "context"?, "integrations"?, "sentAt"?, "writeKey"?}`.
    /// - returns: the number of events stored.
    func segmentBatch(_ body: [UInt8], request: IngestContext) async throws -> Int {
        let tape = try parse(body)
        guard tape.kind(tape.root) == .object else { throw APIError.badRequest("body must be a JSON object with a \"batch\" array") }
        var batchArray: Int?
        var fields = SegmentNormalizer.BatchFields()
        for (key, value) in tape.members(of: tape.root) {
            if tape.stringEquals(key, "batch") { batchArray = value }
            else if tape.stringEquals(key, "context") { fields.context = value }
            else if tape.stringEquals(key, "integrations") { fields.integrations = value }
            else if tape.stringEquals(key, "sentAt") { fields.sentAt = tape.kind(value) == .null ? nil : value }
        }
        guard let batchArray, tape.kind(batchArray) == .array else {
            throw APIError.badRequest("\"batch\" must be an array of messages")
        }
        let normalizer = SegmentNormalizer(tape: tape, request: request)
        var events: [BufferedEvent] = []
        var issues: [ValidationIssue] = []
        for (index, message) in tape.elements(of: batchArray).enumerated() {
            switch normalizer.normalize(message: message, batch: fields, pathType: nil, index: index) {
            case .success(let event): events.append(event)
            case .failure(let errors): issues += errors.issues
            }
        }
        if !issues.isEmpty { throw APIError.invalid(ValidationErrors(issues)) }
        try await store(events)
        return events.count
    }

    /// `/v1/{type}`: one message; the path decides its type.
    func segmentMessage(_ body: [UInt8], type: SegmentNormalizer.MessageType, request: IngestContext) async throws {
        let tape = try parse(body)
        let normalizer = SegmentNormalizer(tape: tape, request: request)
        switch normalizer.normalize(message: tape.root, batch: .init(), pathType: type, index: nil) {
        case .success(let event): try await store([event])
        case .failure(let errors): throw APIError.invalid(errors)
        }
    }

    /// `/events` (one structured CloudEvent) and `/events/batch` (`[...]` or `{"events":[...]}`).
    /// - returns: the number of events stored.
    func cloudEvents(_ body: [UInt8], request: IngestContext, batch: Bool) async throws -> Int {
        let tape = try parse(body)
        var elements: [Int]
        if batch {
            if tape.kind(tape.root) == .array {
                elements = tape.elements(of: tape.root)
            } else if tape.kind(tape.root) == .object,
                      let member = tape.members(of: tape.root).first(where: { tape.stringEquals($0.key, "events") }),
                      tape.kind(member.value) == .array {
                elements = tape.elements(of: member.value)
            } else {
                throw APIError.badRequest("body must be a JSON array of CloudEvents or {\"events\":[...]}")
            }
        } else {
            elements = [tape.root]
        }
        let normalizer = CloudEventNormalizer(tape: tape, request: request)
        var events: [BufferedEvent] = []
        var issues: [ValidationIssue] = []
        for (index, element) in elements.enumerated() {
            switch normalizer.normalize(event: element, index: batch ? index : nil) {
            case .success(let event): events.append(event)
            case .failure(let errors): issues += errors.issues
            }
        }
        if !issues.isEmpty { throw APIError.invalid(ValidationErrors(issues)) }
        try await store(events)
        return events.count
    }

    private func parse(_ body: [UInt8]) throws -> JSONTape {
        do {
            return try JSONTape(parsing: body)
        } catch {
            throw APIError.badRequest("malformed JSON: \(error.description)")
        }
    }

    @discardableResult
    private func store(_ events: [BufferedEvent]) async throws -> AppendOutcome {
        do {
            return try await buffer.append(events)
        } catch let error as BufferError {
            throw APIError.buffer(error)
        }
    }
}

import Buffer

/// Normalizes one line of an NDJSON file (backfill, benchmarks) with the same code as the HTTP path.
///
/// A Segment line is one message or a `/v1/batch` body; a CloudEvents line is one structured
/// event or a batch array. All events of a line are accepted or the line is rejected as a whole.
package struct LineNormalizer: Sendable {
    /// What kind of events a file holds.
    package enum Format: String, Sendable, CaseIterable {
        case segment
        case cloudevents
    }

    let format: Format

    package init(format: Format) {
        self.format = format
    }

    /// Normalizes a line into buffered events (rows in the buffer encoding).
    package func normalize(_ line: [UInt8], request: IngestContext) -> Result<EventBatch, ValidationErrors> {
        var events = EventBatch()
        var storage: [JSONTape.Entry] = []
        if let errors = validate(line[...], request: request, reusing: &storage, into: &events) { return .failure(errors) }
        return .success(events)
    }

    /// Parses and validates a line and, only when all of its events are valid, hands them to `sink` in
    /// order; otherwise returns every problem found. It parses into `storage`, whose entries stay there
    /// for the next line (one allocation per worker instead of one per line).
    func validate<Sink: NormalizedEventSink>(_ line: ArraySlice<UInt8>, request: IngestContext,
                                             reusing storage: inout [JSONTape.Entry],
                                             into sink: inout Sink) throws(Sink.Failure) -> ValidationErrors? {
        let tape: JSONTape
        do {
            tape = try JSONTape(parsing: line, reusing: &storage)
        } catch {
            return ValidationErrors([ValidationIssue(index: nil, field: nil, message: error.description)])
        }
        defer { storage = tape.entries }
        var issues: [ValidationIssue] = []
        switch format {
        case .segment:
            let normalizer = SegmentNormalizer(tape: tape, request: request)
            var messages: [Int]?  // a batch body's messages
            if tape.kind(tape.root) == .object {
                for (key, value) in tape.members(of: tape.root)
                where tape.stringEquals(key, "batch") && tape.kind(value) == .array {
                    messages = tape.elements(of: value)
                }
            }
            guard let messages else {
                switch normalizer.validate(message: tape.root, batch: .init(), pathType: nil, index: nil) {
                case .success(let message): try sink.take(message, of: normalizer)
                case .failure(let errors): return errors
                }
                return nil
            }
            // Batch-level members apply only to a batch body; a single message's are its own.
            let batch = SegmentNormalizer.BatchFields(of: tape.root, in: tape)
            guard batch.issues.isEmpty else { return ValidationErrors(batch.issues) }
            var valid: [SegmentNormalizer.Message] = []
            for (index, message) in messages.enumerated() {
                switch normalizer.validate(message: message, batch: batch, pathType: nil, index: index) {
                case .success(let message): valid.append(message)
                case .failure(let errors): issues += errors.issues
                }
            }
            guard issues.isEmpty else { return ValidationErrors(issues) }
            for message in valid { try sink.take(message, of: normalizer) }
        case .cloudevents:
            let normalizer = CloudEventNormalizer(request: request)
            let isBatch = tape.kind(tape.root) == .array
            let elements = isBatch ? tape.elements(of: tape.root) : [tape.root]
            var valid: [CloudEventNormalizer.Attributes] = []
            for (index, element) in elements.enumerated() {
                switch normalizer.validate(tape: tape, event: element, index: isBatch ? index : nil) {
                case .success(let attributes): valid.append(attributes)
                case .failure(let errors): issues += errors.issues
                }
            }
            guard issues.isEmpty else { return ValidationErrors(issues) }
            for attributes in valid { try sink.take(attributes, of: normalizer) }
        }
        return nil
    }
}

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
    package func normalize(_ line: [UInt8], request: IngestContext) -> Result<[BufferedEvent], ValidationErrors> {
        validate(line[...], request: request).map { $0.map { $0.bufferedEvent() } }
    }

    /// Parses and validates a line: all of its events, or every problem found.
    func validate(_ line: ArraySlice<UInt8>, request: IngestContext) -> Result<[NormalizedEvent], ValidationErrors> {
        let tape: JSONTape
        do {
            tape = try JSONTape(parsing: line)
        } catch {
            return .failure(ValidationErrors([ValidationIssue(index: nil, field: nil, message: error.description)]))
        }
        var events: [NormalizedEvent] = []
        var issues: [ValidationIssue] = []
        switch format {
        case .segment:
            let normalizer = SegmentNormalizer(tape: tape, request: request)
            var messages: [Int] = []  // the batch's messages; a single message is the root
            var batch = SegmentNormalizer.BatchFields()
            var isBatch = false
            if tape.kind(tape.root) == .object {
                for (key, value) in tape.members(of: tape.root)
                where tape.stringEquals(key, "batch") && tape.kind(value) == .array {
                    messages = tape.elements(of: value)
                    isBatch = true
                }
            }
            // Batch-level members apply only to a batch body; a single message's are its own.
            if isBatch {
                for (key, value) in tape.members(of: tape.root) {
                    if tape.stringEquals(key, "context") { batch.context = value }
                    else if tape.stringEquals(key, "integrations") { batch.integrations = value }
                    else if tape.stringEquals(key, "sentAt"), tape.kind(value) != .null { batch.sentAt = value }
                }
            }
            for index in 0..<(isBatch ? messages.count : 1) {
                let message = isBatch ? messages[index] : tape.root
                switch normalizer.validate(message: message, batch: batch, pathType: nil, index: isBatch ? index : nil) {
                case .success(let message): events.append(.segment(normalizer, message))
                case .failure(let errors): issues += errors.issues
                }
            }
        case .cloudevents:
            let normalizer = CloudEventNormalizer(request: request)
            let isBatch = tape.kind(tape.root) == .array
            let elements = isBatch ? tape.elements(of: tape.root) : [tape.root]
            for (index, element) in elements.enumerated() {
                switch normalizer.validate(tape: tape, event: element, index: isBatch ? index : nil) {
                case .success(let attributes): events.append(.cloudEvent(normalizer, attributes))
                case .failure(let errors): issues += errors.issues
                }
            }
        }
        return issues.isEmpty ? .success(events) : .failure(ValidationErrors(issues))
    }
}

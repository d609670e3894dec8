import Buffer

/// Normalizes one line of an NDJSON file (backfill, benchmarks) with the same code as the HTTP path.
///
/// A Segment line is one message or a `/v1/batch` body; a CloudEvents line is one structured
/// event or a batch array. As on the HTTP path, each event of a batch stands on its own: the valid ones are
/// stored, the invalid ones rejected with their index. A line that is not JSON, or whose batch envelope is
/// invalid, is rejected as a whole.
package struct LineNormalizer: Sendable {
    /// What kind of events a file holds.
    package enum Format: String, Sendable, CaseIterable {
        case segment
        case cloudevents
    }

    /// The format of every line; nil: each line's own, told by ``format(of:)``.
    let format: Format?

    package init(format: Format?) {
        self.format = format
    }

    /// An event of a line that was not stored, or the whole line.
    package struct Rejected: Sendable {
        /// The event's index in the line's batch; nil for a single event or the whole line.
        package var index: Int?
        /// The event (or line) as it is in the line.
        package var raw: ArraySlice<UInt8>
        package var errors: ValidationErrors
        /// The format the line was read as.
        package var format: Format
    }

    /// Normalizes a line into buffered events (rows in the buffer encoding): all of them, or every problem
    /// of the line when any event is invalid.
    package func normalize(_ line: [UInt8], request: IngestContext) -> Result<EventBatch, ValidationErrors> {
        var events = EventBatch()
        var storage: [JSONTape.Entry] = []
        let rejected = validate(line[...], request: request, reusing: &storage, into: &events)
        guard rejected.isEmpty else { return .failure(ValidationErrors(rejected.flatMap(\.errors.issues))) }
        return .success(events)
    }

    /// Parses and validates a line and hands its valid events to `sink` in order; returns the events (or the
    /// whole line) it rejected, empty when none. It parses into `storage`, whose entries stay there for the
    /// next line (one allocation per worker instead of one per line).
    func validate<Sink: NormalizedEventSink>(_ line: ArraySlice<UInt8>, request: IngestContext,
                                             reusing storage: inout [JSONTape.Entry],
                                             into sink: inout Sink) throws(Sink.Failure) -> [Rejected] {
        let tape: JSONTape
        do {
            tape = try JSONTape(parsing: line, reusing: &storage)
        } catch {
            let errors = ValidationErrors([ValidationIssue(index: nil, field: nil, message: error.description)])
            return [Rejected(index: nil, raw: line, errors: errors, format: format ?? Self.format(ofUnparsable: line))]
        }
        defer { storage = tape.entries }
        let format = self.format ?? Self.format(of: tape)
        var rejected: [Rejected] = []
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
                case .failure(let errors): rejected.append(Rejected(index: nil, raw: line, errors: errors, format: format))
                }
                return rejected
            }
            // Batch-level members apply only to a batch body; a single message's are its own.
            let batch = SegmentNormalizer.BatchFields(of: tape.root, in: tape)
            guard batch.issues.isEmpty else {
                return [Rejected(index: nil, raw: line, errors: ValidationErrors(batch.issues), format: format)]
            }
            for (index, message) in messages.enumerated() {
                switch normalizer.validate(message: message, batch: batch, pathType: nil, index: index) {
                case .success(let message): try sink.take(message, of: normalizer)
                case .failure(let errors):
                    rejected.append(Rejected(index: index, raw: tape.raw(message), errors: errors, format: format))
                }
            }
        case .cloudevents:
            let normalizer = CloudEventNormalizer(request: request)
            let isBatch = tape.kind(tape.root) == .array
            let elements = isBatch ? tape.elements(of: tape.root) : [tape.root]
            for (index, element) in elements.enumerated() {
                switch normalizer.validate(tape: tape, event: element, index: isBatch ? index : nil) {
                case .success(let attributes): try sink.take(attributes, of: normalizer)
                case .failure(let errors):
                    rejected.append(Rejected(index: isBatch ? index : nil, raw: isBatch ? tape.raw(element) : line,
                                             errors: errors, format: format))
                }
            }
        }
        return rejected
    }

    /// A line's own format: CloudEvents when it is an array (a structured batch: Segment has no array form) or an
    /// object with a top-level `specversion` member; Segment otherwise (a message, or a batch body).
    static func format(of tape: JSONTape) -> Format {
        switch tape.kind(tape.root) {
        case .array: return .cloudevents
        case .object:
            return tape.members(of: tape.root).contains { key, _ in tape.stringEquals(key, "specversion") } ? .cloudevents : .segment
        default: return .segment
        }
    }

    /// The format a line that is not JSON is recorded under: CloudEvents when it names `specversion` anywhere.
    static func format(ofUnparsable line: ArraySlice<UInt8>) -> Format {
        line.firstRange(of: Array("\"specversion\"".utf8)) == nil ? .segment : .cloudevents
    }
}

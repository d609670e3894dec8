import FloeSupport

extension SegmentNormalizer {
    /// The members of a `/v1/batch` body that apply to every message in it, read once per batch: `context`
    /// and `integrations` (tape entries, merged into each message), `sentAt` (parsed), and what is wrong with
    /// them. A bad envelope is the whole request's fault, not one message's: callers refuse it before any
    /// message is normalized.
    struct BatchFields {
        var context: Int?
        var integrations: Int?
        /// The batch's `sentAt` in microseconds (nil when absent, null, or not a timestamp).
        var sentAt: Int64?
        /// `sentAt` not a timestamp, `context` or `integrations` not an object (null counts as absent).
        private(set) var issues: [ValidationIssue] = []

        init(context: Int? = nil, integrations: Int? = nil, sentAt: Int64? = nil) {
            self.context = context
            self.integrations = integrations
            self.sentAt = sentAt
        }

        /// The members of a batch body `object`.
        init(of object: Int, in tape: JSONTape) {
            for (key, value) in tape.members(of: object) {
                if tape.stringEquals(key, "context") {
                    context = value
                    checkObject("context", value, tape)
                } else if tape.stringEquals(key, "integrations") {
                    integrations = value
                    checkObject("integrations", value, tape)
                } else if tape.stringEquals(key, "sentAt"), tape.kind(value) != .null {
                    sentAt = tape.kind(value) == .string ? tape.withStringBytes(value) { Timestamp.parse($0) } : nil
                    if sentAt == nil {
                        issues.append(ValidationIssue(index: nil, field: "sentAt", message: "is not an ISO-8601 timestamp"))
                    }
                }
            }
        }

        private mutating func checkObject(_ name: String, _ entry: Int, _ tape: JSONTape) {
            if tape.kind(entry) != .object, tape.kind(entry) != .null {
                issues.append(ValidationIssue(index: nil, field: name, message: "must be an object"))
            }
        }
    }
}

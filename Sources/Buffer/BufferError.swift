/// An error from the durable buffer, with a stable code that callers map to HTTP statuses.
public struct BufferError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, without dynamic values (usable as a metric label).
    public enum Code: String, Sendable {
        case open, sqlite, busy, io, corrupt, diskFull, closed, partitionFull, budgetExceeded, invalidRow
    }

    public var code: Code
    public var message: String
    public var context: [String: String]

    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    public var description: String {
        let details = context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return details.isEmpty ? "\(code.rawValue): \(message)" : "\(code.rawValue): \(message) (\(details))"
    }
}

/// An error from a ``FileIO`` operation, with whether retrying may help.
public struct FileIOError: Error, Sendable, CustomStringConvertible {
    /// The bounded kind of a ``FileIOError``; its description has no dynamic values and can label metrics.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case notFound, invalidLocation, io, credentialsRefused
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Nothing is stored at the location.
        public static let notFound = Code(.notFound)
        /// The location's scheme or form is not supported by this FileIO.
        public static let invalidLocation = Code(.invalidLocation)
        /// The operation failed.
        public static let io = Code(.io)
        /// The store refused the credentials themselves (an expired session token, an unknown key): fresh
        /// credentials, such as a catalog vends on the next table load, may cure it.
        public static let credentialsRefused = Code(.credentialsRefused)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The location involved, and for system errors `errno`.
    public var context: [String: String]
    /// Whether the same call may succeed later (server errors, throttling, timeouts).
    public var isRetryable: Bool

    /// Creates an error.
    public init(_ code: Code, _ message: String, context: [String: String] = [:], isRetryable: Bool = false) {
        self.code = code
        self.message = message
        self.context = context
        self.isRetryable = isRetryable
    }

    public var description: String {
        var text = "FileIOError.\(code): \(message)"
        if !context.isEmpty {
            text += " (" + context.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
        }
        return text
    }
}

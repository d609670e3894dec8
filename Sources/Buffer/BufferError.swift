import SQLite
/// An error from the durable buffer, with a stable code that callers map to HTTP statuses.
public struct BufferError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, without dynamic values (usable as a metric label).
    public enum Code: String, Sendable {
        case open, sqlite, busy, io, corrupt, diskFull, closed, partitionFull, budgetExceeded, invalidRow
        /// The buffer file is no longer the one opened (removed or replaced under the running process).
        case fileReplaced
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

extension BufferError {
    /// `error` with SQLite failures turned into buffer errors whose code callers map to statuses
    /// (a full disk is `diskFull`, 507); other errors unchanged.
    static func wrapping(_ error: any Error) -> any Error {
        guard let failure = error as? SQLiteError else { return error }
        let code: Code = failure.isDiskFull ? .diskFull : failure.isBusy ? .busy : failure.isIOError ? .io
            : failure.isCorrupt ? .corrupt : .sqlite
        return BufferError(code, "sqlite: \(failure.message)", context: failure.sql.map { ["sql": $0] } ?? [:])
    }
}

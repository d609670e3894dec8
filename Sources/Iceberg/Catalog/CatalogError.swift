/// An error from a catalog or from producing a commit, classified so the caller knows whether data is safe.
///
/// `conflict` means the commit was not applied (reload, rebase, retry); `commitStateUnknown` means it may have
/// been applied (reload and look for the commit id before retrying); the other codes are fatal for the attempt.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    /// The bounded kind of a ``CatalogError``; its description has no dynamic values and can label metrics.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case noSuchTable, noSuchNamespace, alreadyExists, conflict, commitStateUnknown
            case invalidMetadata, invalidArgument, io, database
            case unauthorized, unavailable, rejected, replaced
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The table is not in the catalog.
        public static let noSuchTable = Code(.noSuchTable)
        /// The namespace is not in the catalog.
        public static let noSuchNamespace = Code(.noSuchNamespace)
        /// A table with that name exists already.
        public static let alreadyExists = Code(.alreadyExists)
        /// A requirement failed or another writer committed first; nothing was applied.
        public static let conflict = Code(.conflict)
        /// The commit may or may not have been applied.
        public static let commitStateUnknown = Code(.commitStateUnknown)
        /// Metadata, a manifest or a manifest list could not be read or is inconsistent.
        public static let invalidMetadata = Code(.invalidMetadata)
        /// The caller passed something the table cannot take (for example partition values for another spec).
        public static let invalidArgument = Code(.invalidArgument)
        /// Reading or writing a file failed.
        public static let io = Code(.io)
        /// The catalog database failed.
        public static let database = Code(.database)
        /// The catalog refused the credentials (HTTP 401, 403 or 419 after a token refresh).
        public static let unauthorized = Code(.unauthorized)
        /// The catalog could not be reached or kept failing (connection errors, timeouts, 5xx) past the retries;
        /// nothing that changes a table was attempted, so trying again later is safe.
        public static let unavailable = Code(.unavailable)
        /// The catalog rejected the request (another HTTP 4xx); `context["server_message"]` says why.
        public static let rejected = Code(.rejected)
        /// The table is another one than a commit's files were written for (dropped and created again); nothing
        /// was applied.
        public static let replaced = Code(.replaced)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// A fixed phrase describing what failed.
    public var message: String
    /// Key/value details: table, location, commit id. Never secrets or event payloads.
    public var context: [String: String]
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, context: [String: String] = [:],
                underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.underlying = underlying
    }

    public var description: String {
        var text = "CatalogError.\(code): \(message)"
        if !context.isEmpty {
            text += " (" + context.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
        }
        if let underlying { text += ": \(underlying)" }
        return text
    }
}

extension CatalogError {
    /// The table or its namespace does not exist.
    public var isMissingTable: Bool { code == .noSuchTable || code == .noSuchNamespace }

    /// The table is another one than the files of a commit were written for (dropped and created again): load it
    /// again, check it, and write the files anew.
    public var isReplacedTable: Bool { code == .replaced }
}

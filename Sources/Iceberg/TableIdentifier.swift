/// The name of a table in a catalog: a namespace path and a table name.
///
/// ```swift
/// let events = TableIdentifier(namespace: ["analytics"], name: "events")
/// ```
public struct TableIdentifier: Sendable, Hashable, CustomStringConvertible {
    /// The namespace levels, outermost first; at least one level.
    public var namespace: [String]
    /// The table name within the namespace.
    public var name: String

    /// Creates an identifier from namespace levels and a table name.
    public init(namespace: [String], name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The namespace levels joined by dots, as the JDBC/SQL catalog stores them.
    public var namespaceString: String { namespace.joined(separator: ".") }

    /// `namespace.name`, for logs and errors.
    public var description: String { (namespace + [name]).joined(separator: ".") }
}

import CSQLite

/// A failed SQLite call: the extended result code, SQLite's message and the statement, if any.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The extended result code (`SQLITE_BUSY_SNAPSHOT`, `SQLITE_CONSTRAINT_UNIQUE`, ...).
    public var code: Int32
    public var message: String
    public var sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    public var primaryCode: Int32 { code & 0xFF }
    /// Another connection holds a lock the call waited for in vain.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    public var isConstraint: Bool { primaryCode == SQLITE_CONSTRAINT }
    public var isDiskFull: Bool { primaryCode == SQLITE_FULL }
    public var isIOError: Bool { primaryCode == SQLITE_IOERR }
    public var isCorrupt: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

    public var description: String {
        sql.map { "sqlite error \(code): \(message) (sql: \($0))" } ?? "sqlite error \(code): \(message)"
    }
}

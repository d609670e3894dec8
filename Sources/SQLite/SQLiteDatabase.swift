import CSQLite
import Dispatch

/// One SQLite connection: statements (cached when prepared through ``statement(_:)``),
/// transactions and one error type, ``SQLiteError``. The buffer, the buffer reader, the WAL
/// checkpointer, backfill checkpoints and the embedded Iceberg catalog all use it.
///
/// Not thread-safe and not `Sendable`: a connection is used by one thread at a time. An owner that
/// confines it to a serial queue names that queue in ``ownerQueue``; ``assertOnOwnerQueue()``
/// then traps when called elsewhere.
public final class SQLiteDatabase {
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    /// The object the WAL hook's context points at; kept alive as long as the handle.
    private var walHookTarget: AnyObject?
    public let path: String
    /// The serial queue this connection is confined to, if any.
    public var ownerQueue: DispatchQueue?

    /// SQLite's `SQLITE_TRANSIENT` destructor (copy the bound value), which the C macro hides from Swift.
    nonisolated(unsafe) static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Opens (creating if needed) the database at `path`, waiting up to `busyTimeoutMs` for locks.
    public init(path: String, busyTimeoutMs: Int32 = 5_000) throws {
        self.path = path
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: status, message: "cannot open \(path): \(message)")
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMs)
        handle = db
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Traps unless called on ``ownerQueue`` (when one is set).
    public func assertOnOwnerQueue() {
        if let ownerQueue { dispatchPrecondition(condition: .onQueue(ownerQueue)) }
    }

    func error(_ status: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: status, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs statements that take no arguments and return no rows.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// A cached prepared statement, reset and with its bindings cleared (for statements run often).
    public func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
            return SQLiteStatement(handle: cached, database: self, sql: sql)
        }
        var prepared: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard status == SQLITE_OK, let prepared else { throw error(status, sql: sql) }
        statements[sql] = prepared
        return SQLiteStatement(handle: prepared, database: self, sql: sql)
    }

    /// Runs one statement with `arguments` bound in order and returns its rows (for statements run rarely).
    @discardableResult
    public func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        var prepared: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &prepared, nil)
        guard status == SQLITE_OK, let prepared else { throw error(status, sql: sql) }
        defer { sqlite3_finalize(prepared) }
        let statement = SQLiteStatement(handle: prepared, database: self, sql: sql)
        for (index, argument) in arguments.enumerated() {
            let position = Int32(index + 1)
            let status = switch argument {
            case .null: sqlite3_bind_null(prepared, position)
            case .integer(let value): sqlite3_bind_int64(prepared, position, value)
            case .text(let value): sqlite3_bind_text(prepared, position, value, -1, Self.transient)
            }
            guard status == SQLITE_OK else { throw error(status, sql: sql) }
        }
        var rows: [[SQLiteValue]] = []
        while try statement.step() {
            rows.append((0..<statement.columnCount).map(statement.value))
        }
        return rows
    }

    /// Runs one statement and returns the number of rows it changed.
    public func update(_ sql: String, _ arguments: [SQLiteValue]) throws -> Int {
        try query(sql, arguments)
        return changes
    }

    /// Runs `body` in a transaction that ends as `body` says: committed on `.commit`, rolled back
    /// on `.rollback` or when `body` throws (the error is rethrown).
    public func inTransaction(_ kind: TransactionKind = .immediate,
                              _ body: () throws -> TransactionCompletion) throws {
        try execute("BEGIN \(kind.rawValue)")
        let completion: TransactionCompletion
        do {
            completion = try body()
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
        switch completion {
        case .commit:
            do {
                try execute("COMMIT")
            } catch {
                try? execute("ROLLBACK")
                throw error
            }
        case .rollback:
            try execute("ROLLBACK")
        }
    }

    /// Runs `body` in a transaction that commits when it returns and rolls back when it throws.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        var result: T?
        try inTransaction(kind) {
            result = try body()
            return .commit
        }
        guard let result else { preconditionFailure("a committed transaction has a result") }
        return result
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowid: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Calls `hook` after every commit with the number of frames in the WAL, with `target` as its
    /// context (`sqlite3_wal_hook`; replaces the automatic checkpoint).
    public func setWALHook(_ target: AnyObject,
                           _ hook: @escaping @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32) {
        walHookTarget = target
        sqlite3_wal_hook(handle, hook, Unmanaged.passUnretained(target).toOpaque())
    }
}

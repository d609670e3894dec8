import CSQLite
import Foundation

/// A thin owner of one `sqlite3` handle with prepared-statement helpers.
///
/// Not thread-safe: every call must come from the one serial queue that owns the connection
/// (``EventBuffer`` runs all of its database work on its writer queue).
final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    /// The object the WAL hook's context points at; kept alive as long as the handle.
    private var walHookTarget: AnyObject?
    let path: String

    init(path: String) throws(BufferError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw BufferError(.open, "cannot open buffer database: \(message)", context: ["path": path])
        }
        handle = db
        sqlite3_busy_timeout(db, 5_000)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Calls `hook` after every commit with the number of frames in the WAL, with `target` as
    /// its context (`sqlite3_wal_hook`; replaces the automatic checkpoint).
    func setWALHook(_ target: AnyObject,
                    _ hook: @escaping @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32) {
        walHookTarget = target
        sqlite3_wal_hook(handle, hook, Unmanaged.passUnretained(target).toOpaque())
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: commits when it returns, rolls back when it throws.
    func immediateTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs one or more SQL statements that return no rows.
    func execute(_ sql: String) throws(BufferError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "error \(rc)"
            sqlite3_free(error)
            throw BufferError(code(for: rc), "sqlite: \(message)", context: ["sql": sql])
        }
    }

    /// A cached prepared statement, reset and with its bindings cleared.
    func statement(_ sql: String) throws(BufferError) -> Statement {
        if let cached = statements[sql] {
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
            return Statement(handle: cached, connection: self)
        }
        var prepared: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard rc == SQLITE_OK, let prepared else {
            throw BufferError(code(for: rc), "sqlite prepare: \(lastMessage)", context: ["sql": sql])
        }
        statements[sql] = prepared
        return Statement(handle: prepared, connection: self)
    }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }
    var changes: Int { Int(sqlite3_changes(handle)) }
    var lastInsertRowid: Int64 { sqlite3_last_insert_rowid(handle) }

    func code(for rc: Int32) -> BufferError.Code {
        switch rc & 0xff {
        case SQLITE_FULL: return .diskFull
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy
        case SQLITE_IOERR: return .io
        case SQLITE_CORRUPT, SQLITE_NOTADB: return .corrupt
        default: return .sqlite
        }
    }

    /// A prepared statement borrowed from the connection's cache.
    struct Statement {
        let handle: OpaquePointer
        unowned let connection: SQLiteConnection

        func bind(_ index: Int32, _ value: Int64) {
            sqlite3_bind_int64(handle, index, value)
        }

        func bind(_ index: Int32, _ value: String) {
            sqlite3_bind_text(handle, index, value, -1, SQLITE_TRANSIENT_VALUE)
        }

        func bind(_ index: Int32, blob: [UInt8]) {
            blob.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), SQLITE_TRANSIENT_VALUE)
            }
        }

        /// Steps once; `true` while a row is available.
        func step() throws(BufferError) -> Bool {
            let rc = sqlite3_step(handle)
            switch rc {
            case SQLITE_ROW: return true
            case SQLITE_DONE: return false
            default:
                throw BufferError(connection.code(for: rc), "sqlite step: \(connection.lastMessage)")
            }
        }

        /// Steps to completion, ignoring rows.
        func run() throws(BufferError) {
            while try step() {}
        }

        /// Releases the statement's read lock without finishing it.
        func reset() {
            sqlite3_reset(handle)
        }

        /// Reads the first row (if any) and resets the statement so it holds no read lock.
        func firstRow<T>(_ read: (Statement) -> T) throws(BufferError) -> T? {
            defer { sqlite3_reset(handle) }
            return try step() ? read(self) : nil
        }

        func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

        func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

        func string(_ column: Int32) -> String {
            guard let text = sqlite3_column_text(handle, column) else { return "" }
            return String(cString: text)
        }

        func blob(_ column: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let base = sqlite3_column_blob(handle, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: base, count: count))
        }
    }
}

/// SQLite's `SQLITE_TRANSIENT` destructor (copy the bound value), which the C macro hides from Swift.
nonisolated(unsafe) let SQLITE_TRANSIENT_VALUE = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

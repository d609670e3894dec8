import CSQLite

/// A value bound to or read from a SQLite statement.
enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)

    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

/// A failed SQLite call: the extended result code and SQLite's message.
struct SQLiteFailure: Error, Sendable {
    var code: Int32
    var message: String

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    var primaryCode: Int32 { code & 0xFF }
    var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    var isConstraint: Bool { primaryCode == SQLITE_CONSTRAINT }
}

/// One SQLite connection, used by one caller at a time and closed on deinit.
///
/// Not `Sendable`: each catalog call opens its own connection, uses it synchronously and drops it, so no
/// connection is ever shared between tasks or held across a suspension point.
final class SQLiteConnection {
    private let handle: OpaquePointer

    /// Opens (creating if needed) the database at `path`, waiting up to `busyTimeoutMs` for locks.
    init(path: String, busyTimeoutMs: Int32) throws {
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteFailure(code: status, message: message)
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMs)
        handle = db
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    private func failure(_ status: Int32) -> SQLiteFailure {
        SQLiteFailure(code: status, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs statements that take no arguments and return no rows.
    func execute(_ sql: String) throws {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw failure(status) }
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        var statement: OpaquePointer?
        var status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status) }
        defer { sqlite3_finalize(statement) }
        // SQLITE_TRANSIENT: SQLite copies the bound text before the call returns.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (index, argument) in arguments.enumerated() {
            let position = Int32(index + 1)
            switch argument {
            case .null: status = sqlite3_bind_null(statement, position)
            case .integer(let value): status = sqlite3_bind_int64(statement, position, value)
            case .text(let value): status = sqlite3_bind_text(statement, position, value, -1, transient)
            }
            guard status == SQLITE_OK else { throw failure(status) }
        }
        var rows: [[SQLiteValue]] = []
        while true {
            status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw failure(status) }
            let columns = sqlite3_column_count(statement)
            rows.append((0..<columns).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_NULL: return .null
                case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
                default:
                    guard let text = sqlite3_column_text(statement, column) else { return .null }
                    return .text(String(cString: text))
                }
            })
        }
        return rows
    }

    /// Runs one statement and returns the number of rows it changed.
    func update(_ sql: String, _ arguments: [SQLiteValue]) throws -> Int {
        try query(sql, arguments)
        return Int(sqlite3_changes(handle))
    }
}

import CSQLite

/// A prepared statement borrowed from its connection's cache (``SQLiteDatabase/statement(_:)``),
/// valid on the connection's thread until the connection closes.
public struct SQLiteStatement {
    let handle: OpaquePointer
    unowned let database: SQLiteDatabase
    let sql: String

    // Binding fails only on a bad index, a value too large for SQLite, or no memory; a failed bind
    // would leave the parameter as it was (NULL or the previous value), so it throws instead.

    public func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    public func bind(_ index: Int32, _ value: String) throws {
        try check(sqlite3_bind_text(handle, index, value, -1, SQLiteDatabase.transient))
    }

    public func bind(_ index: Int32, blob: [UInt8]) throws {
        try check(blob.withUnsafeBytes { raw in
            sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), SQLiteDatabase.transient)
        })
    }

    /// Binds `blob` without copying it and runs the statement to completion while the bytes are
    /// borrowed; the parameter is NULL again afterwards, so no pointer to them outlives the call.
    public func run(binding blob: [UInt8], at index: Int32) throws {
        try blob.withUnsafeBytes { raw in
            // SQLITE_STATIC (nil): SQLite reads the bytes where they are until the parameter changes.
            defer {
                sqlite3_reset(handle)
                sqlite3_bind_null(handle, index)
            }
            try check(sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), nil))
            try run()
        }
    }

    public func bindNull(_ index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else { throw database.error(rc, sql: sql) }
    }

    /// Steps once; `true` while a row is available.
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(rc, sql: sql)
        }
    }

    /// Steps to completion, ignoring rows.
    public func run() throws {
        while try step() {}
    }

    /// Releases the statement's read lock without finishing it.
    public func reset() {
        sqlite3_reset(handle)
    }

    /// Reads the first row (if any) and resets the statement so it holds no read lock.
    public func firstRow<T>(_ read: (SQLiteStatement) -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        return try step() ? read(self) : nil
    }

    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    public func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: text)
    }

    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let base = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The value of a column as ``SQLiteValue`` (integers and text; anything else as text).
    public func value(_ column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        default:
            guard let text = sqlite3_column_text(handle, column) else { return .null }
            return .text(String(cString: text))
        }
    }

    var columnCount: Int32 { sqlite3_column_count(handle) }
}

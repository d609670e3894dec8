import SQLite

/// A second SQLite connection that holds an exclusive lock, to make the buffer's writes fail.
///
/// The lock is held across the test's awaits, so it is taken and released by hand rather than
/// in a ``SQLiteDatabase/inTransaction(_:_:)`` body.
final class ExclusiveLock {
    private var database: SQLiteDatabase?

    init(path: String) throws {
        let database = try SQLiteDatabase(path: path, busyTimeoutMs: 0)
        try database.execute("BEGIN EXCLUSIVE")
        self.database = database
    }

    func unlock() {
        try? database?.execute("ROLLBACK")
        database = nil
    }
}

extension EventBufferTests {
    static func lockExclusively(_ path: String) throws -> ExclusiveLock {
        try ExclusiveLock(path: path)
    }
}

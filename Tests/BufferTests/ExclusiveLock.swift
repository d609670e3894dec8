import CSQLite

/// A second SQLite connection that holds an exclusive lock, to make the buffer's writes fail.
final class ExclusiveLock {
    private var handle: OpaquePointer?

    init(path: String) throws {
        guard sqlite3_open(path, &handle) == SQLITE_OK else { throw LockError() }
        guard sqlite3_exec(handle, "BEGIN EXCLUSIVE", nil, nil, nil) == SQLITE_OK else { throw LockError() }
    }

    func unlock() {
        sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
        sqlite3_close(handle)
        handle = nil
    }

    struct LockError: Error {}
}

extension EventBufferTests {
    static func lockExclusively(_ path: String) throws -> ExclusiveLock {
        try ExclusiveLock(path: path)
    }
}

import Foundation
import SQLite
import Testing

/// The SQLite layer: transactions that commit or roll back without throwing, errors with codes.
struct SQLiteDatabaseTests {
    private static func database() throws -> (SQLiteDatabase, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-\(UUID().uuidString).db").path
        let database = try SQLiteDatabase(path: path)
        try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
        return (database, path)
    }

    private static func count(_ database: SQLiteDatabase) throws -> Int64 {
        try database.statement("SELECT COUNT(*) FROM t").firstRow { $0.int64(0) } ?? -1
    }

    @Test func commitRollbackAndThrowingBodies() throws {
        let (database, path) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try database.inTransaction { try database.update("INSERT INTO t(name) VALUES (?1)", [.text("a")]) == 1 ? .commit : .rollback }
        #expect(try Self.count(database) == 1)
        try database.inTransaction {
            try database.query("INSERT INTO t(name) VALUES ('b')")
            return .rollback
        }
        #expect(try Self.count(database) == 1)
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try database.inTransaction {
                try database.query("INSERT INTO t(name) VALUES ('c')")
                throw Stop()
            }
        }
        #expect(try Self.count(database) == 1)
        let id = try database.transaction {
            try database.query("INSERT INTO t(name) VALUES ('d')")
            return database.lastInsertRowid
        }
        #expect(id == 2)
        // A transaction can begin again after each of the endings above.
        try database.inTransaction(.deferred) { .commit }
        let rows = try database.query("SELECT id, name FROM t ORDER BY id")
        #expect(rows == [[.integer(1), .text("a")], [.integer(2), .text("d")]])
    }

    @Test func borrowedBlobsAreStoredAndNotKeptBound() throws {
        let (database, path) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try database.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, payload BLOB)")
        let insert = "INSERT INTO b(id, payload) VALUES (?1, ?2)"
        for (id, size) in [(1, 3), (2, 70_000)] {
            let statement = try database.statement(insert)
            try statement.bind(1, Int64(id))
            try statement.run(binding: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ id) }, at: 2)
        }
        for (id, size) in [(1, 3), (2, 70_000)] {
            let stored = try database.statement("SELECT payload FROM b WHERE id = ?1")
            try stored.bind(1, Int64(id))
            #expect(try stored.firstRow { $0.blob(0) } == (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ id) })
        }
        // The same statement, bound and stepped again without the blob, stores NULL: it was reset and
        // no longer points at the bytes.
        let statement = try database.statement(insert)
        try statement.bind(1, 3)
        try statement.run(binding: [1, 2, 3], at: 2)
        try statement.bind(1, 4)
        try statement.run()
        #expect(try database.query("SELECT id, payload IS NULL FROM b WHERE id > 2 ORDER BY id")
                    == [[.integer(3), .integer(0)], [.integer(4), .integer(1)]])
    }

    @Test func failuresCarryTheirCodeAndStatement() throws {
        let (database, path) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try database.query("INSERT INTO t(name) VALUES ('a')")
        do {
            try database.query("INSERT INTO t(name) VALUES ('a')")
            Issue.record("a duplicate name was accepted")
        } catch let error as SQLiteError {
            #expect(error.isConstraint)
            #expect(error.sql?.contains("INSERT") == true)
        }
        #expect(throws: SQLiteError.self) { try database.execute("SELECT * FROM missing") }
    }

    @Test func aLockedDatabaseIsBusy() throws {
        let (database, path) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let other = try SQLiteDatabase(path: path, busyTimeoutMs: 0)
        try database.execute("BEGIN EXCLUSIVE")
        defer { try? database.execute("ROLLBACK") }
        do {
            try other.inTransaction { .commit }
            Issue.record("a second writer got the lock")
        } catch let error as SQLiteError {
            #expect(error.isBusy)
        }
    }

    @Test func statementsAreCachedAndReset() throws {
        let (database, path) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: path) }
        for name in ["x", "y", "z"] {
            let insert = try database.statement("INSERT INTO t(name) VALUES (?1)")
            try insert.bind(1, name)
            try insert.run()
        }
        let names = try database.query("SELECT name FROM t ORDER BY id").compactMap { $0.first?.text }
        #expect(names == ["x", "y", "z"])
    }

    @Test("a parameter that cannot be bound throws instead of leaving the old value in place")
    func failedBindsThrow() throws {
        let (database, path) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let insert = try database.statement("INSERT INTO t(name) VALUES (?1)")
        #expect(throws: SQLiteError.self) { try insert.bind(2, "out of range") }
        #expect(throws: SQLiteError.self) { try insert.bind(0, blob: [1]) }
        #expect(throws: SQLiteError.self) { try insert.bindNull(3) }
        try insert.bind(1, "ok")
        try insert.run()
        #expect(try Self.count(database) == 1)
    }
}

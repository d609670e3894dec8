import Foundation
import SQLite

/// Durable progress of `floe backfill`: how far each input file is committed, and the pending unit.
///
/// A backfill commits input in units: the unit's input ranges and commit id are recorded here
/// before the unit's Iceberg commit (like a flush intent), and the files' offsets advance in the
/// same transaction that forgets the unit, after the Iceberg commit. A unit found pending at
/// start is either confirmed (its commit id is in the table) or redone from the same input.
/// A file is identified by its absolute path, size and modification time; a file whose
/// checkpoint is complete is skipped on later runs.
public final class BackfillCheckpoints: @unchecked Sendable {
    // @unchecked: the connection is used by one caller at a time (the task that runs the backfill, or
    // the thread it hands `begin` to while it waits).
    private let db: SQLiteDatabase

    /// One input file's identity and committed progress.
    public struct FileState: Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var modified: Int64
        /// Lines fully committed (the next run starts after them).
        public var committedLines: Int64
        public var complete: Bool

        public init(path: String, size: Int64, modified: Int64, committedLines: Int64 = 0, complete: Bool = false) {
            self.path = path
            self.size = size
            self.modified = modified
            self.committedLines = committedLines
            self.complete = complete
        }
    }

    /// A unit of input committed as one Iceberg snapshot per table.
    public struct Unit: Sendable, Codable, Equatable {
        /// Per input file: lines `fromLine..<toLine` (0-based) belong to this unit.
        public struct Range: Sendable, Codable, Equatable {
            public var path: String
            public var fromLine: Int64
            public var toLine: Int64
            public var endsFile: Bool

            public init(path: String, fromLine: Int64, toLine: Int64, endsFile: Bool) {
                self.path = path
                self.fromLine = fromLine
                self.toLine = toLine
                self.endsFile = endsFile
            }
        }

        /// Commit id per table name (`floe.commit-id` of that table's snapshot).
        public var commitIds: [String: String]
        public var ranges: [Range]
        /// The receive time given to lines without their own `receivedAt`, so a redo writes the same rows.
        public var receivedAt: Int64

        public init(commitIds: [String: String], ranges: [Range], receivedAt: Int64) {
            self.commitIds = commitIds
            self.ranges = ranges
            self.receivedAt = receivedAt
        }
    }

    public init(path: String) throws {
        db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=FULL")
        try db.execute("""
            CREATE TABLE IF NOT EXISTS backfill_files(
                path TEXT PRIMARY KEY,
                size INTEGER NOT NULL,
                modified INTEGER NOT NULL,
                committed_lines INTEGER NOT NULL,
                complete INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS backfill_units(
                id INTEGER PRIMARY KEY,
                body TEXT NOT NULL);
            """)
    }

    /// The stored state of a file, or a fresh one when the file is new or changed since.
    public func state(of file: FileState) throws -> FileState {
        let statement = try db.statement(
            "SELECT size, modified, committed_lines, complete FROM backfill_files WHERE path = ?1")
        try statement.bind(1, file.path)
        let stored = try statement.firstRow { row in
            FileState(path: file.path, size: row.int64(0), modified: row.int64(1), committedLines: row.int64(2),
                      complete: row.int64(3) != 0)
        }
        guard let stored, stored.size == file.size, stored.modified == file.modified else { return file }
        return stored
    }

    /// Records a unit before its commit (the caller writes its data files meanwhile).
    public func begin(_ unit: Unit) throws {
        let body = String(decoding: try JSONEncoder().encode(unit), as: UTF8.self)
        let statement = try db.statement("INSERT INTO backfill_units(body) VALUES (?1)")
        try statement.bind(1, body)
        try statement.run()
    }

    /// The unit recorded and not finished, if any.
    public func pendingUnit() throws -> Unit? {
        let statement = try db.statement("SELECT body FROM backfill_units ORDER BY id LIMIT 1")
        guard let body = try statement.firstRow({ $0.string(0) }) else { return nil }
        return try JSONDecoder().decode(Unit.self, from: Data(body.utf8))
    }

    /// After the unit's commits: advances its files' checkpoints and forgets the unit, atomically.
    public func finish(_ unit: Unit, files: [String: FileState]) throws {
        try db.transaction {
            for range in unit.ranges {
                guard let file = files[range.path] else { continue }
                let statement = try db.statement("""
                    INSERT INTO backfill_files(path, size, modified, committed_lines, complete) VALUES (?1, ?2, ?3, ?4, ?5)
                    ON CONFLICT(path) DO UPDATE SET size = ?2, modified = ?3, committed_lines = ?4, complete = ?5
                    """)
                try statement.bind(1, range.path)
                try statement.bind(2, file.size)
                try statement.bind(3, file.modified)
                try statement.bind(4, range.toLine)
                try statement.bind(5, range.endsFile ? 1 : 0)
                try statement.run()
            }
            try db.execute("DELETE FROM backfill_units")
        }
    }
}

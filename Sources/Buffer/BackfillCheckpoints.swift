import Foundation
import SQLite

/// Durable progress of `floe backfill`: how far each input file is committed, and the pending unit.
///
/// A backfill commits input in units: the unit's input ranges and commit id are recorded here
/// before the unit's Iceberg commit (like a flush intent), and the files' offsets advance in the
/// same transaction that forgets the unit, after the Iceberg commit. A unit found pending at
/// start is either confirmed (its commit id is in the table) or redone from the same input.
/// A file is identified by its absolute path, size and modification time, and recognised by a fingerprint
/// of its bytes when those change: a file touched since keeps its progress, one appended to continues after
/// its committed lines; a file whose checkpoint is complete is skipped on later runs. Progress is also kept by
/// content (`backfill_contents`, found by a digest of a file's first bytes), so that a file renamed or copied to
/// a name this progress does not know (log rotation: `events.log` becomes `events.log.1`) is recognised by its
/// bytes and keeps its progress. The progress belongs to one target (catalog, warehouse, namespace): a run to
/// another is refused.
public final class BackfillCheckpoints: @unchecked Sendable {
    // @unchecked: the connection is used by one caller at a time (the task that runs the backfill, or
    // the thread it hands `begin` to while it waits).
    private let db: SQLiteDatabase
    /// Whether looking a file up may record what it learns (a touched file's new time, a file known by content under a
    /// new name); a dry run's lookups record nothing.
    private let recordsLookups: Bool

    /// One input file's identity and committed progress.
    public struct FileState: Sendable, Equatable, Codable {
        public var path: String
        public var size: Int64
        public var modified: Int64
        /// Lines fully committed (the next run starts after them).
        public var committedLines: Int64
        public var complete: Bool
        /// A digest of the file's first `size` bytes (nil: not known).
        public var fingerprint: String?
        /// A digest of the file's first bytes (``BackfillCheckpoints/headBytes`` of them, or all `size` when fewer),
        /// by which its progress is found under another name (nil: not known, as for S3 objects).
        public var head: String?

        public init(path: String, size: Int64, modified: Int64, committedLines: Int64 = 0, complete: Bool = false,
                    fingerprint: String? = nil, head: String? = nil) {
            self.path = path
            self.size = size
            self.modified = modified
            self.committedLines = committedLines
            self.complete = complete
            self.fingerprint = fingerprint
            self.head = head
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
        /// The input files as the unit read them (size, time, fingerprint), recorded once the unit is done; nil in
        /// units recorded before this field.
        public var files: [FileState]?

        public init(commitIds: [String: String], ranges: [Range], receivedAt: Int64, files: [FileState]? = nil) {
            self.commitIds = commitIds
            self.ranges = ranges
            self.receivedAt = receivedAt
            self.files = files
        }
    }

    /// Opens (creating) the progress at `path`; with `recordsLookups` false, looking files up writes nothing.
    public init(path: String, recordsLookups: Bool = true) throws {
        self.recordsLookups = recordsLookups
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
            CREATE TABLE IF NOT EXISTS backfill_target(
                target TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS backfill_contents(
                fingerprint TEXT PRIMARY KEY,
                head TEXT NOT NULL,
                size INTEGER NOT NULL,
                committed_lines INTEGER NOT NULL,
                complete INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS backfill_contents_head ON backfill_contents(head, size);
            """)
        let columns = try db.statement("SELECT name FROM pragma_table_info('backfill_files')")
        var names: [String] = []
        while try columns.step() { names.append(columns.string(0)) }
        if !names.contains("fingerprint") {  // a backfill.db of a version before fingerprints
            try db.execute("ALTER TABLE backfill_files ADD COLUMN fingerprint TEXT")
        }
        if !names.contains("head") {  // a backfill.db of a version before progress by content
            try db.execute("ALTER TABLE backfill_files ADD COLUMN head TEXT")
        }
    }

    /// How many of a file's first bytes its ``FileState/head`` digests. A file shorter than this when its progress
    /// was recorded is recognised under another name only with exactly the same bytes.
    public static let headBytes: Int64 = 4096

    /// The progress here belongs to another target than the run's.
    public struct OtherTarget: Error, CustomStringConvertible {
        public var recorded: String
        public var requested: String
        public var description: String {
            "this data directory's backfill progress is for \(recorded), not \(requested): use another --data-dir for it"
        }
    }

    /// Whether this progress was recorded for `target` (none yet: false).
    public func belongs(to target: String) throws -> Bool {
        try db.statement("SELECT target FROM backfill_target LIMIT 1").firstRow { $0.string(0) } == target
    }

    /// Ties the progress to `target` on first use (a database from before targets takes the first run's);
    /// throws ``OtherTarget`` when it belongs to another.
    public func claim(target: String) throws {
        let statement = try db.statement("SELECT target FROM backfill_target LIMIT 1")
        if let recorded = try statement.firstRow({ $0.string(0) }) {
            guard recorded == target else { throw OtherTarget(recorded: recorded, requested: target) }
            return
        }
        let insert = try db.statement("INSERT INTO backfill_target(target) VALUES (?1)")
        try insert.bind(1, target)
        try insert.run()
    }

    /// The stored state of a file, or a fresh one when the file is new or changed since. A file whose size or
    /// modification time changed is the same file when `fingerprint(n)` of its first n bytes (the size stored)
    /// is the stored fingerprint: touched, it keeps its progress; grown, it continues after its committed lines.
    /// A file its name does not know (new, or replaced by other bytes) is looked up by content: `head(n)`, the
    /// digest of its first n bytes, finds the progress of files that started the same, and of those the one whose
    /// fingerprint it matches with the most lines committed is its progress (renamed or copied; grown since, it
    /// continues after those lines).
    public func state(of file: FileState, head: (Int64) throws -> String? = { _ in nil },
                      fingerprint: (Int64) throws -> String?) throws -> FileState {
        let statement = try db.statement(
            "SELECT size, modified, committed_lines, complete, fingerprint, head FROM backfill_files WHERE path = ?1")
        try statement.bind(1, file.path)
        let stored = try statement.firstRow { row in
            FileState(path: file.path, size: row.int64(0), modified: row.int64(1), committedLines: row.int64(2),
                      complete: row.int64(3) != 0, fingerprint: row.isNull(4) ? nil : row.string(4),
                      head: row.isNull(5) ? nil : row.string(5))
        }
        guard let stored else { return try byContent(file, head: head, fingerprint: fingerprint) ?? file }
        if stored.size == file.size, stored.modified == file.modified { return stored }
        guard let known = stored.fingerprint, file.size >= stored.size, try fingerprint(stored.size) == known else {
            return try byContent(file, head: head, fingerprint: fingerprint) ?? file
        }
        guard file.size == stored.size else {
            // Appended to: the lines committed stay, the rest is read; the new length's fingerprint comes later.
            return FileState(path: file.path, size: file.size, modified: file.modified, committedLines: stored.committedLines)
        }
        // Touched: the same bytes. Its new time is recorded, so the next run knows it by a stat again.
        var touched = stored
        touched.modified = file.modified
        guard recordsLookups else { return touched }
        let update = try db.statement("UPDATE backfill_files SET modified = ?2 WHERE path = ?1")
        try update.bind(1, file.path)
        try update.bind(2, file.modified)
        try update.run()
        return touched
    }

    /// The progress of the content `file` starts with, recorded under any name; nil when none matches.
    private func byContent(_ file: FileState, head: (Int64) throws -> String?,
                           fingerprint: (Int64) throws -> String?) throws -> FileState? {
        guard let digest = try head(min(file.size, Self.headBytes)) else { return nil }
        // A content recorded shorter than `headBytes` has a head of all its bytes: only the same length can match it.
        let statement = try db.statement("""
            SELECT size, committed_lines, complete, fingerprint FROM backfill_contents
            WHERE head = ?1 AND (size = ?2 OR (size >= ?3 AND size <= ?2))
            ORDER BY committed_lines DESC, complete DESC, size DESC
            """)
        try statement.bind(1, digest)
        try statement.bind(2, file.size)
        try statement.bind(3, Self.headBytes)
        var candidates: [(size: Int64, lines: Int64, complete: Bool, fingerprint: String)] = []
        while try statement.step() {
            candidates.append((statement.int64(0), statement.int64(1), statement.int64(2) != 0, statement.string(3)))
        }
        guard let match = try candidates.first(where: { try fingerprint($0.size) == $0.fingerprint }) else { return nil }
        guard match.size == file.size else {
            // Its start was loaded under another name and it has grown since: it continues after those lines.
            return FileState(path: file.path, size: file.size, modified: file.modified, committedLines: match.lines,
                             head: digest)
        }
        let known = FileState(path: file.path, size: file.size, modified: file.modified, committedLines: match.lines,
                              complete: match.complete, fingerprint: match.fingerprint, head: digest)
        // Complete under another name: recorded under this one too, so that the next run knows it by a stat.
        if known.complete, recordsLookups { try record(known) }
        return known
    }

    /// Stores the fingerprint and head of a file whose progress lacks them (recorded by an earlier version), and the
    /// progress of its content.
    public func remember(_ file: FileState) throws {
        let statement = try db.statement("""
            UPDATE backfill_files SET fingerprint = coalesce(fingerprint, ?2), head = coalesce(head, ?3) WHERE path = ?1
            """)
        try statement.bind(1, file.path)
        if let fingerprint = file.fingerprint { try statement.bind(2, fingerprint) } else { try statement.bindNull(2) }
        if let head = file.head { try statement.bind(3, head) } else { try statement.bindNull(3) }
        try statement.run()
        try recordContent(file)
    }

    /// Records a unit before its commit (the caller writes its data files meanwhile).
    public func begin(_ unit: Unit) throws {
        let body = String(decoding: try JSONEncoder().encode(unit), as: UTF8.self)
        let statement = try db.statement("INSERT INTO backfill_units(body) VALUES (?1)")
        try statement.bind(1, body)
        try statement.run()
    }

    /// Forgets the pending unit without advancing any file: its lines are read again from the files' progress.
    public func abandonPendingUnit() throws {
        try db.execute("DELETE FROM backfill_units")
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
                guard var file = files[range.path] else { continue }
                file.committedLines = range.toLine
                file.complete = range.endsFile
                try record(file)
            }
            try db.execute("DELETE FROM backfill_units")
        }
    }

    /// Stores `file`'s progress under its name, and by its content.
    private func record(_ file: FileState) throws {
        let statement = try db.statement("""
            INSERT INTO backfill_files(path, size, modified, committed_lines, complete, fingerprint, head)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT(path) DO UPDATE SET size = ?2, modified = ?3, committed_lines = ?4, complete = ?5,
                                            fingerprint = ?6, head = ?7
            """)
        try statement.bind(1, file.path)
        try statement.bind(2, file.size)
        try statement.bind(3, file.modified)
        try statement.bind(4, file.committedLines)
        try statement.bind(5, file.complete ? 1 : 0)
        if let fingerprint = file.fingerprint { try statement.bind(6, fingerprint) } else { try statement.bindNull(6) }
        if let head = file.head { try statement.bind(7, head) } else { try statement.bindNull(7) }
        try statement.run()
        try recordContent(file)
    }

    /// Stores the progress of `file`'s content (its first `size` bytes), when its fingerprint and head are known.
    private func recordContent(_ file: FileState) throws {
        guard let fingerprint = file.fingerprint, let head = file.head else { return }
        let statement = try db.statement("""
            INSERT INTO backfill_contents(fingerprint, head, size, committed_lines, complete) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT(fingerprint) DO UPDATE SET committed_lines = max(committed_lines, ?4), complete = max(complete, ?5)
            """)
        try statement.bind(1, fingerprint)
        try statement.bind(2, head)
        try statement.bind(3, file.size)
        try statement.bind(4, file.committedLines)
        try statement.bind(5, file.complete ? 1 : 0)
        try statement.run()
    }
}

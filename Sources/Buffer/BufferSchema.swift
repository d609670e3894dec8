import Foundation
import SQLite

/// The buffer database's tables and pragmas, and the start-up rebuild of partition stats.
enum BufferSchema {
    static func migrate(_ db: SQLiteDatabase, durability: BufferConfiguration.Durability) throws {
        // Larger pages keep ~700-byte rows several to a page; set before the file is created.
        try db.execute("PRAGMA page_size=16384")
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA cache_size=-65536")
        // No mmap: pages read back for a flush would stay mapped and count as resident memory;
        // reads go through the bounded page cache above instead.
        try db.execute("PRAGMA mmap_size=0")
        try db.execute("PRAGMA temp_store=MEMORY")
        try db.execute(durability == .fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        // Debian's SQLite is built with SECURE_DELETE, which writes every freed page full of zeros:
        // that doubles the writes of a purge. FAST zeroes deleted cells only where it costs no I/O.
        try db.execute("PRAGMA secure_delete=FAST")
        // Checkpoints run on their own connection (WALCheckpointer); after one lets the log start
        // over, its file is cut back to this size.
        try db.execute("PRAGMA journal_size_limit=67108864")
        try db.execute("""
            CREATE TABLE IF NOT EXISTS partitions(
                pid INTEGER PRIMARY KEY,
                tbl TEXT NOT NULL,
                part TEXT NOT NULL,
                flushed_through INTEGER NOT NULL DEFAULT 0,
                UNIQUE(tbl, part));
            CREATE TABLE IF NOT EXISTS chunks(
                id INTEGER PRIMARY KEY,
                pid INTEGER NOT NULL,
                first_seq INTEGER NOT NULL,
                last_seq INTEGER NOT NULL,
                received_at INTEGER NOT NULL,
                payload BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS chunks_by_partition ON chunks(pid, last_seq);
            CREATE TABLE IF NOT EXISTS meta(
                key TEXT PRIMARY KEY,
                value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS dedup_blocks(
                id INTEGER PRIMARY KEY,
                expires_at INTEGER NOT NULL,
                keys BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS identity(
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS flush_intents(
                commit_id TEXT PRIMARY KEY,
                tbl TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                body TEXT NOT NULL);
            """)
        try migrateDedupKeys(db)
    }

    /// Buffers written before `dedup_blocks` kept one `dedup_keys(key, expires_at)` row per message
    /// key; their keys move into blocks (of ``DedupIndex/blockSize``, with the latest expiry of the
    /// block) in one transaction, and the old table is dropped.
    static func migrateDedupKeys(_ db: SQLiteDatabase) throws {
        let exists = try db.statement("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'dedup_keys'")
            .firstRow { $0.int64(0) } ?? 0
        guard exists > 0 else { return }
        do {
            try db.transaction {
                let read = try db.statement("SELECT key, expires_at FROM dedup_keys ORDER BY rowid")
                let write = try db.statement("INSERT INTO dedup_blocks(expires_at, keys) VALUES (?1, ?2)")
                var keys: [UInt8] = []
                var count = 0
                var expiresAt = Int64.min
                func writeBlock() throws {
                    guard count > 0 else { return }
                    try write.bind(1, expiresAt)
                    try write.bind(2, blob: keys)
                    try write.run()
                    write.reset()
                    keys.removeAll(keepingCapacity: true)
                    count = 0
                    expiresAt = .min
                }
                while try read.step() {
                    DedupIndex.appendBytes(of: DedupIndex.Key(read.blob(0)), to: &keys)
                    expiresAt = max(expiresAt, read.int64(1))
                    count += 1
                    if count == DedupIndex.blockSize { try writeBlock() }
                }
                read.reset()
                try writeBlock()
                try db.execute("DROP TABLE dedup_keys")
            }
        } catch let error as BufferError {
            throw error
        } catch {
            throw BufferError(.sqlite, "moving dedup keys into blocks failed: \(error)")
        }
    }

    /// Loads unexpired keys, oldest first, into a new index.
    static func loadDedupIndex(_ db: SQLiteDatabase, window: Int64, capacity: Int, now: Int64) throws -> DedupIndex {
        let index = DedupIndex(window: window, capacity: capacity)
        let statement = try db.statement("SELECT id, expires_at, keys FROM dedup_blocks WHERE expires_at > ?1 ORDER BY id")
        try statement.bind(1, now)
        while try statement.step() {
            let id = statement.int64(0), expiresAt = statement.int64(1)
            for key in DedupIndex.keys(in: statement.blob(2)) { index.insert(key, expiresAt: expiresAt, rowid: id) }
        }
        _ = index.expire(now: now)
        return index
    }

    /// This buffer's writer id, made (a random UUID) and stored the first time: the name its flushes
    /// commit under, so a commit can be recognized even after its snapshot is gone.
    static func loadWriterId(_ db: SQLiteDatabase) throws -> String {
        if let id = try db.statement("SELECT value FROM identity WHERE key = 'writer_id'").firstRow({ $0.string(0) }) {
            return id
        }
        let id = UUID().uuidString.lowercased()
        let insert = try db.statement("INSERT INTO identity(key, value) VALUES ('writer_id', ?1)")
        try insert.bind(1, id)
        try insert.run()
        return id
    }

    /// The id of the next `dedup_blocks` row.
    static func loadNextDedupBlock(_ db: SQLiteDatabase) throws -> Int64 {
        (try db.statement("SELECT COALESCE(MAX(id), 0) FROM dedup_blocks").firstRow { $0.int64(0) } ?? 0) + 1
    }

    /// Every known partition: its id and the sequence number its rows are flushed through.
    static func loadPartitions(_ db: SQLiteDatabase) throws -> (ids: [PartitionID: Int64], flushedThrough: [Int64: Int64]) {
        let statement = try db.statement("SELECT pid, tbl, part, flushed_through FROM partitions")
        var ids: [PartitionID: Int64] = [:]
        var flushed: [Int64: Int64] = [:]
        while try statement.step() {
            ids[PartitionID(table: statement.string(1), key: statement.string(2))] = statement.int64(0)
            flushed[statement.int64(0)] = statement.int64(3)
        }
        return (ids, flushed)
    }

    /// The next row sequence number: above every number ever handed out. A number is either in a
    /// chunk still stored or at most its partition's `flushed_through` (chunks are purged only after
    /// the watermark passed them), so no counter has to be written with every append. (`meta`'s
    /// `next_seq` is still read: older buffers kept the counter there.)
    static func loadNextSequence(_ db: SQLiteDatabase) throws -> Int64 {
        let stored = try db.statement("SELECT value FROM meta WHERE key = 'next_seq'").firstRow { $0.int64(0) } ?? 1
        let flushed = try db.statement("SELECT COALESCE(MAX(flushed_through), 0) FROM partitions").firstRow { $0.int64(0) } ?? 0
        let highest = max(flushed, try db.statement("SELECT COALESCE(MAX(last_seq), 0) FROM chunks").firstRow { $0.int64(0) } ?? 0)
        return max(stored, highest + 1)
    }

    static func loadStats(_ db: SQLiteDatabase, partitions: [PartitionID: Int64]) throws -> [PartitionID: PartitionStats] {
        let byId = Dictionary(uniqueKeysWithValues: partitions.map { ($0.value, $0.key) })
        // A chunk partly flushed counts only its unflushed events (bytes pro rata, less the
        // one-byte length prefixes of small events: an estimate, for the byte budget).
        let statement = try db.statement("""
            SELECT c.pid,
                   SUM(c.last_seq - MAX(c.first_seq - 1, p.flushed_through)),
                   SUM((length(c.payload) - (c.last_seq - c.first_seq + 1))
                       * (c.last_seq - MAX(c.first_seq - 1, p.flushed_through)) / (c.last_seq - c.first_seq + 1)),
                   MIN(c.received_at)
            FROM chunks c JOIN partitions p ON p.pid = c.pid
            WHERE c.last_seq > p.flushed_through GROUP BY c.pid
            """)
        var stats: [PartitionID: PartitionStats] = [:]
        while try statement.step() {
            guard let id = byId[statement.int64(0)] else { continue }
            stats[id] = PartitionStats(count: Int(statement.int64(1)), bytes: Int(statement.int64(2)),
                                       oldestReceivedAt: statement.int64(3))
        }
        return stats
    }
}

/// The buffer database's tables and pragmas, and the start-up rebuild of partition stats.
enum BufferSchema {
    static func migrate(_ db: SQLiteConnection, durability: BufferConfiguration.Durability) throws(BufferError) {
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute(durability == .fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        try db.execute("PRAGMA wal_autocheckpoint=4000")
        try db.execute("""
            CREATE TABLE IF NOT EXISTS events(
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                tbl TEXT NOT NULL,
                part TEXT NOT NULL,
                received_at INTEGER NOT NULL,
                payload BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS events_by_partition ON events(tbl, part, seq);
            CREATE TABLE IF NOT EXISTS dedup_keys(
                key BLOB NOT NULL,
                expires_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS flush_intents(
                commit_id TEXT PRIMARY KEY,
                tbl TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                body TEXT NOT NULL);
            """)
    }

    /// Loads unexpired keys, oldest first, into a new index.
    static func loadDedupIndex(_ db: SQLiteConnection, window: Int64, capacity: Int, now: Int64) throws(BufferError) -> DedupIndex {
        let index = DedupIndex(window: window, capacity: capacity)
        let statement = try db.statement("SELECT rowid, key, expires_at FROM dedup_keys WHERE expires_at > ?1 ORDER BY rowid")
        statement.bind(1, now)
        while try statement.step() {
            index.insert(DedupIndex.Key(statement.blob(1)), expiresAt: statement.int64(2), rowid: statement.int64(0))
        }
        _ = index.expire(now: now)
        return index
    }

    static func loadStats(_ db: SQLiteConnection) throws(BufferError) -> [PartitionID: PartitionStats] {
        let statement = try db.statement(
            "SELECT tbl, part, COUNT(*), SUM(length(payload)), MIN(received_at) FROM events GROUP BY tbl, part")
        var stats: [PartitionID: PartitionStats] = [:]
        while try statement.step() {
            let id = PartitionID(table: statement.string(0), key: statement.string(1))
            stats[id] = PartitionStats(count: Int(statement.int64(2)), bytes: Int(statement.int64(3)),
                                       oldestReceivedAt: statement.int64(4))
        }
        return stats
    }
}

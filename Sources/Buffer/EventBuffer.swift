import CSQLite
import Dispatch
import Foundation
import Logging
import Synchronization

/// The durable per-partition event buffer: SQLite in WAL mode behind a single group-committing writer.
///
/// `append` returns only after the transaction holding the events has committed (and, with
/// ``BufferConfiguration/Durability/fsync``, reached the disk). Appends that arrive while a
/// transaction is being written wait and share the next one, so one fsync acknowledges many
/// requests. All database work runs on one serial queue, never on the cooperative pool.
///
/// ```swift
/// let buffer = try EventBuffer(configuration: .init(path: "floe-data/buffer.db"), logger: logger)
/// try await buffer.append([event])          // durable on return
/// let rows = try await buffer.rows(in: partition, limit: 2000)
/// ```
public final class EventBuffer: Sendable {
    private typealias Waiter = CheckedContinuation<AppendOutcome, any Error>

    private struct PendingAppends {
        var batches: [(events: [BufferedEvent], waiter: Waiter)] = []
        var drainScheduled = false
    }

    private let queue = DispatchQueue(label: "floe.buffer.writer")
    /// Accessed only on `queue`.
    private let connection: ConnectionBox
    /// Accessed only on `queue`.
    private let dedup: DedupBox
    /// Accessed only on `queue`.
    private let directory: DirectoryBox
    private let pending = Mutex(PendingAppends())
    private let partitionStats = Mutex([PartitionID: PartitionStats]())
    private let configuration: BufferConfiguration
    private let logger: Logger

    public init(configuration: BufferConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let db = try SQLiteConnection(path: configuration.path)
        try BufferSchema.migrate(db, durability: configuration.durability)
        connection = ConnectionBox(db)
        let window = Int64(configuration.dedupWindowSeconds) * 1_000_000
        dedup = DedupBox(try BufferSchema.loadDedupIndex(db, window: window, capacity: configuration.maxDedupKeys,
                                                         now: Self.nowMicros()))
        let partitions = try BufferSchema.loadPartitions(db)
        directory = DirectoryBox(partitions: partitions, nextSequence: try BufferSchema.loadNextSequence(db))
        let rebuilt = try BufferSchema.loadStats(db, partitions: partitions)
        partitionStats.withLock { $0 = rebuilt }
        logger.info("buffer opened", metadata: [
            "floe.path": "\(configuration.path)",
            "floe.rows": "\(rebuilt.values.reduce(0) { $0 + $1.count })",
            "floe.dedup_keys": "\(dedup.index.count)",
        ])
    }

    // MARK: Appending

    /// Stores the events durably; returns once their transaction has committed.
    ///
    /// An event whose `dedupKey` was stored within the dedup window (or earlier in the same
    /// transaction) is acknowledged without being stored again and counted in `duplicates`.
    ///
    /// - throws: ``BufferError`` `partitionFull` or `budgetExceeded` before anything is written
    ///   when a limit would be passed; any SQLite failure of the shared transaction (then none of
    ///   the events in it are stored).
    @discardableResult
    public func append(_ events: [BufferedEvent]) async throws -> AppendOutcome {
        guard !events.isEmpty else { return AppendOutcome(stored: 0, duplicates: 0) }
        try checkLimits(for: events)
        return try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let schedule = pending.withLock { state -> Bool in
                state.batches.append((events, waiter))
                if state.drainScheduled { return false }
                state.drainScheduled = true
                return true
            }
            if schedule {
                queue.async { self.drainAppends() }
            }
        }
    }

    private func checkLimits(for events: [BufferedEvent]) throws(BufferError) {
        var incoming: [PartitionID: Int] = [:]
        var incomingBytes = 0
        for event in events {
            incoming[event.partition, default: 0] += 1
            incomingBytes += event.payload.count
        }
        let stats = partitionStats.withLock { $0 }
        for (partition, count) in incoming {
            let held = stats[partition]?.count ?? 0
            if held + count > configuration.maxPartitionEvents {
                throw BufferError(.partitionFull, "partition holds \(held) events; limit is \(configuration.maxPartitionEvents)",
                                  context: ["table": partition.table, "partition": partition.key])
            }
        }
        let heldBytes = stats.values.reduce(0) { $0 + $1.bytes }
        if heldBytes + incomingBytes > configuration.maxBufferedBytes {
            throw BufferError(.budgetExceeded, "buffer holds \(heldBytes) bytes; budget is \(configuration.maxBufferedBytes)")
        }
    }

    /// Runs on `queue`: writes every waiting append in one transaction and answers them all.
    private func drainAppends() {
        let batches = pending.withLock { state in
            let taken = state.batches
            state.batches = []
            state.drainScheduled = false
            return taken
        }
        guard !batches.isEmpty else { return }
        let db = connection.db
        let index = dedup.index
        let now = Self.nowMicros()
        let expiresAt = now + index.window
        var outcomes = [AppendOutcome](repeating: AppendOutcome(stored: 0, duplicates: 0), count: batches.count)
        var newKeys: [(key: DedupIndex.Key, rowid: Int64)] = []
        var seenInTransaction = Set<DedupIndex.Key>()
        var stored: [BufferedEvent] = []
        var newPartitions: [PartitionID: Int64] = [:]
        var sequence = directory.nextSequence
        do {
            try db.execute("BEGIN IMMEDIATE")
            do {
                if let purge = dedup.purgeThrough {
                    let statement = try db.statement("DELETE FROM dedup_keys WHERE rowid <= ?1")
                    statement.bind(1, purge)
                    try statement.run()
                }
                for (position, batch) in batches.enumerated() {
                    for event in batch.events {
                        if let raw = event.dedupKey {
                            let key = DedupIndex.Key(raw)
                            if index.contains(key) || !seenInTransaction.insert(key).inserted {
                                outcomes[position].duplicates += 1
                                continue
                            }
                            let remember = try db.statement("INSERT INTO dedup_keys(key, expires_at) VALUES (?1, ?2)")
                            remember.bind(1, blob: raw)
                            remember.bind(2, expiresAt)
                            try remember.run()
                            newKeys.append((key, db.lastInsertRowid))
                        }
                        var pid = directory.partitions[event.partition] ?? newPartitions[event.partition]
                        if pid == nil {
                            let create = try db.statement("INSERT INTO partitions(tbl, part) VALUES (?1, ?2)")
                            create.bind(1, event.partition.table)
                            create.bind(2, event.partition.key)
                            try create.run()
                            pid = db.lastInsertRowid
                            newPartitions[event.partition] = pid
                        }
                        let statement = try db.statement(
                            "INSERT INTO buffered(pid, seq, received_at, payload) VALUES (?1, ?2, ?3, ?4)")
                        statement.bind(1, pid ?? 0)
                        statement.bind(2, sequence)
                        statement.bind(3, event.receivedAt)
                        statement.bind(4, blob: event.payload)
                        try statement.run()
                        sequence += 1
                        outcomes[position].stored += 1
                        stored.append(event)
                    }
                }
                let advance = try db.statement("INSERT OR REPLACE INTO meta(key, value) VALUES ('next_seq', ?1)")
                advance.bind(1, sequence)
                try advance.run()
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        } catch {
            logger.error("buffer append failed", metadata: ["error.message": "\(error)"])
            for batch in batches { batch.waiter.resume(throwing: error) }
            return
        }
        directory.nextSequence = sequence
        directory.partitions.merge(newPartitions) { old, _ in old }
        dedup.purgeThrough = nil
        for entry in newKeys { index.insert(entry.key, expiresAt: expiresAt, rowid: entry.rowid) }
        if let dropped = index.expire(now: now) { dedup.purgeThrough = dropped }
        partitionStats.withLock { stats in
            for event in stored {
                stats[event.partition, default: PartitionStats(count: 0, bytes: 0, oldestReceivedAt: event.receivedAt)]
                    .add(event)
            }
        }
        for (position, batch) in batches.enumerated() { batch.waiter.resume(returning: outcomes[position]) }
    }

    // MARK: Reading and flush bookkeeping

    /// Per-partition counts, bytes and oldest receipt time (in memory; no database access).
    public func stats() -> [PartitionID: PartitionStats] {
        partitionStats.withLock { $0 }
    }

    /// The oldest rows of a partition in arrival order, at most `limit`.
    public func rows(in partition: PartitionID, limit: Int) async throws -> [StoredRow] {
        try await onQueue { [directory] db in
            guard let pid = directory.partitions[partition] else { return [] }
            let statement = try db.statement("SELECT seq, payload FROM buffered WHERE pid = ?1 ORDER BY seq LIMIT ?2")
            statement.bind(1, pid)
            statement.bind(2, Int64(limit))
            return try Self.collectRows(statement)
        }
    }

    /// The rows of a partition with `first...last` sequence numbers, in order.
    public func rows(in partition: PartitionID, sequences: ClosedRange<Int64>) async throws -> [StoredRow] {
        try await onQueue { [directory] db in
            guard let pid = directory.partitions[partition] else { return [] }
            let statement = try db.statement(
                "SELECT seq, payload FROM buffered WHERE pid = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq")
            statement.bind(1, pid)
            statement.bind(2, sequences.lowerBound)
            statement.bind(3, sequences.upperBound)
            return try Self.collectRows(statement)
        }
    }

    private static func collectRows(_ statement: SQLiteConnection.Statement) throws -> [StoredRow] {
        var rows: [StoredRow] = []
        while try statement.step() {
            rows.append(StoredRow(sequence: statement.int64(0), payload: statement.blob(1)))
        }
        return rows
    }

    /// Records a flush intent durably (step 2 of DESIGN.md §5).
    public func recordIntent(_ intent: FlushIntent) async throws {
        let body = try JSONEncoder().encode(intent)
        let text = String(decoding: body, as: UTF8.self)
        try await onQueue { db in
            let statement = try db.statement(
                "INSERT INTO flush_intents(commit_id, tbl, created_at, body) VALUES (?1, ?2, ?3, ?4)")
            statement.bind(1, intent.commitId)
            statement.bind(2, intent.table)
            statement.bind(3, intent.createdAt)
            statement.bind(4, text)
            try statement.run()
        }
    }

    /// Intents recorded and not yet completed, oldest first.
    public func pendingIntents() async throws -> [FlushIntent] {
        let bodies: [String] = try await onQueue { db in
            let statement = try db.statement("SELECT body FROM flush_intents ORDER BY created_at, commit_id")
            var result: [String] = []
            while try statement.step() { result.append(statement.string(0)) }
            return result
        }
        return try bodies.map { try JSONDecoder().decode(FlushIntent.self, from: Data($0.utf8)) }
    }

    /// Deletes the flushed rows and the intent in one transaction (step 5 of DESIGN.md §5).
    public func completeIntent(_ intent: FlushIntent) async throws {
        let removed: [PartitionID: (count: Int, bytes: Int)] = try await onQueue { [directory] db in
            try db.execute("BEGIN IMMEDIATE")
            do {
                var removed: [PartitionID: (count: Int, bytes: Int)] = [:]
                for file in intent.files {
                    let partition = PartitionID(table: intent.table, key: file.partitionKey)
                    guard let pid = directory.partitions[partition] else { continue }
                    let measure = try db.statement(
                        "SELECT COUNT(*), COALESCE(SUM(length(payload)), 0) FROM buffered WHERE pid = ?1 AND seq BETWEEN ?2 AND ?3")
                    measure.bind(1, pid)
                    measure.bind(2, file.firstSequence)
                    measure.bind(3, file.lastSequence)
                    if let counted = try measure.firstRow({ (Int($0.int64(0)), Int($0.int64(1))) }) {
                        removed[partition, default: (0, 0)].count += counted.0
                        removed[partition, default: (0, 0)].bytes += counted.1
                    }
                    let delete = try db.statement("DELETE FROM buffered WHERE pid = ?1 AND seq BETWEEN ?2 AND ?3")
                    delete.bind(1, pid)
                    delete.bind(2, file.firstSequence)
                    delete.bind(3, file.lastSequence)
                    try delete.run()
                }
                let forget = try db.statement("DELETE FROM flush_intents WHERE commit_id = ?1")
                forget.bind(1, intent.commitId)
                try forget.run()
                try db.execute("COMMIT")
                return removed
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
        let oldest: [PartitionID: Int64] = try await onQueue { [directory] db in
            var result: [PartitionID: Int64] = [:]
            for partition in removed.keys {
                guard let pid = directory.partitions[partition] else { continue }
                let statement = try db.statement("SELECT MIN(received_at) FROM buffered WHERE pid = ?1")
                statement.bind(1, pid)
                if let oldest = try statement.firstRow({ $0.isNull(0) ? nil : $0.int64(0) }), let oldest {
                    result[partition] = oldest
                }
            }
            return result
        }
        partitionStats.withLock { stats in
            for (partition, amount) in removed {
                guard var current = stats[partition] else { continue }
                current.count -= amount.count
                current.bytes -= amount.bytes
                if current.count <= 0 {
                    stats[partition] = nil
                } else {
                    current.oldestReceivedAt = oldest[partition] ?? current.oldestReceivedAt
                    stats[partition] = current
                }
            }
        }
    }

    /// Checks that the database can take a write transaction (for `/health/ready`).
    public func checkWritable() async throws {
        try await onQueue { db in
            try db.execute("BEGIN IMMEDIATE")
            try db.execute("ROLLBACK")
        }
    }

    /// Checkpoints the WAL into the main database file (truncating it).
    public func checkpoint() async throws {
        try await onQueue { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    static func nowMicros() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try work(self.connection.db))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

extension PartitionStats {
    mutating func add(_ event: BufferedEvent) {
        count += 1
        bytes += event.payload.count
        oldestReceivedAt = min(oldestReceivedAt, event.receivedAt)
    }
}

/// Carries the dedup index (and a pending purge of its table) into the writer queue's closures.
///
/// `@unchecked Sendable`: only ever used from the buffer's serial `queue`.
final class DedupBox: @unchecked Sendable {
    let index: DedupIndex
    /// Rowids of `dedup_keys` up to this one have expired; deleted in the next transaction.
    var purgeThrough: Int64?
    init(_ index: DedupIndex) { self.index = index }
}

/// Partition ids and the next row sequence number.
///
/// `@unchecked Sendable`: only ever used from the buffer's serial `queue`.
final class DirectoryBox: @unchecked Sendable {
    var partitions: [PartitionID: Int64]
    var nextSequence: Int64
    init(partitions: [PartitionID: Int64], nextSequence: Int64) {
        self.partitions = partitions
        self.nextSequence = nextSequence
    }
}

/// Carries the connection into the writer queue's closures.
///
/// `@unchecked Sendable` because the invariant is enforced by ``EventBuffer``: the connection is
/// only ever used from its serial `queue`.
final class ConnectionBox: @unchecked Sendable {
    let db: SQLiteConnection
    init(_ db: SQLiteConnection) { self.db = db }
}

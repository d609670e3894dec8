import Dispatch
import Foundation
import Logging
import Synchronization

/// The durable per-partition event buffer: SQLite in WAL mode behind a single group-committing writer.
///
/// `append` returns only after the transaction holding the events has committed (and, with
/// ``BufferConfiguration/Durability/fsync``, reached the disk). Appends that arrive while a
/// transaction is being written wait and share the next one, so one fsync acknowledges many
/// requests. Each transaction stores the events of one partition as one chunk row
/// (``EventChunk``). All database work runs on one serial queue, never on the cooperative pool.
///
/// ```swift
/// let buffer = try EventBuffer(configuration: .init(path: "floe-data/buffer.db"), logger: logger)
/// try await buffer.append([event])          // durable on return
/// let rows = try await buffer.rows(in: partition, limit: 2000)
/// ```
public final class EventBuffer: Sendable {
    typealias Waiter = CheckedContinuation<AppendOutcome, any Error>

    private struct PendingAppends {
        var batches: [(events: [BufferedEvent], waiter: Waiter)] = []
        var drainScheduled = false
    }

    let queue = DispatchQueue(label: "floe.buffer.writer")
    /// Accessed only on `queue`.
    let writer: WriterState
    private let pending = Mutex(PendingAppends())
    let partitionStats = Mutex([PartitionID: PartitionStats]())
    let pendingIntentCount = Mutex(0)
    let purges = Mutex(PurgeState())

    /// Flushed chunks waiting to be deleted.
    struct PurgeState {
        var targets: [Int64: Int64] = [:]
        var scheduled = false
    }
    let configuration: BufferConfiguration
    let logger: Logger
    private let checkpointer: WALCheckpointer

    public init(configuration: BufferConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let db = try SQLiteConnection(path: configuration.path)
        try BufferSchema.migrate(db, durability: configuration.durability)
        checkpointer = try WALCheckpointer(path: configuration.path, durability: configuration.durability)
        checkpointer.attach(to: db)
        let window = Int64(configuration.dedupWindowSeconds) * 1_000_000
        let dedup = try BufferSchema.loadDedupIndex(db, window: window, capacity: configuration.maxDedupKeys,
                                                    now: Self.nowMicros())
        let partitions = try BufferSchema.loadPartitions(db)
        writer = WriterState(db: db, dedup: dedup, partitions: partitions.ids, flushedThrough: partitions.flushedThrough,
                             nextSequence: try BufferSchema.loadNextSequence(db))
        let rebuilt = try BufferSchema.loadStats(db, partitions: partitions.ids)
        partitionStats.withLock { $0 = rebuilt }
        let intents = try db.statement("SELECT COUNT(*) FROM flush_intents").firstRow { Int($0.int64(0)) } ?? 0
        pendingIntentCount.withLock { $0 = intents }
        for (pid, through) in partitions.flushedThrough where through > 0 {
            schedulePurge(pid: pid, through: through)
        }
        logger.info("buffer opened", metadata: [
            "floe.path": "\(configuration.path)",
            "floe.rows": "\(rebuilt.values.reduce(0) { $0 + $1.count })",
            "floe.dedup_keys": "\(dedup.count)",
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
                // Gather for a moment so that one transaction (one fsync) answers more requests.
                if let window = configuration.groupCommitWindow {
                    queue.asyncAfter(deadline: .now() + window) { self.drainAppends() }
                } else {
                    queue.async { self.drainAppends() }
                }
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

    /// One partition's share of a transaction.
    private struct Group {
        var payloads: [[UInt8]] = []
        var bytes = 0
        var oldest = Int64.max
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
        let db = writer.db
        let index = writer.dedup
        let now = Self.nowMicros()
        let expiresAt = now + index.window
        var outcomes = [AppendOutcome](repeating: AppendOutcome(stored: 0, duplicates: 0), count: batches.count)
        var newKeys: [(key: DedupIndex.Key, rowid: Int64)] = []
        var seenInTransaction = Set<DedupIndex.Key>()
        var groups: [PartitionID: Group] = [:]
        var order: [PartitionID] = []
        var newPartitions: [PartitionID: Int64] = [:]
        var sequence = writer.nextSequence
        do {
            try db.execute("BEGIN IMMEDIATE")
            do {
                if let purge = writer.purgeDedupThrough {
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
                        if groups[event.partition] == nil { order.append(event.partition) }
                        groups[event.partition, default: Group()].payloads.append(event.payload)
                        groups[event.partition, default: Group()].bytes += event.payload.count
                        groups[event.partition, default: Group()].oldest =
                            min(groups[event.partition, default: Group()].oldest, event.receivedAt)
                        outcomes[position].stored += 1
                    }
                }
                for partition in order {
                    guard let group = groups[partition] else { continue }
                    var pid = writer.partitions[partition] ?? newPartitions[partition]
                    if pid == nil {
                        let create = try db.statement("INSERT INTO partitions(tbl, part) VALUES (?1, ?2)")
                        create.bind(1, partition.table)
                        create.bind(2, partition.key)
                        try create.run()
                        pid = db.lastInsertRowid
                        newPartitions[partition] = pid
                    }
                    let insert = try db.statement(
                        "INSERT INTO chunks(pid, first_seq, last_seq, received_at, payload) VALUES (?1, ?2, ?3, ?4, ?5)")
                    insert.bind(1, pid ?? 0)
                    insert.bind(2, sequence)
                    insert.bind(3, sequence + Int64(group.payloads.count) - 1)
                    insert.bind(4, group.oldest)
                    insert.bind(5, blob: EventChunk.encode(group.payloads, totalBytes: group.bytes))
                    try insert.run()
                    sequence += Int64(group.payloads.count)
                }
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
        writer.nextSequence = sequence
        writer.partitions.merge(newPartitions) { old, _ in old }
        writer.purgeDedupThrough = nil
        for entry in newKeys { index.insert(entry.key, expiresAt: expiresAt, rowid: entry.rowid) }
        if let dropped = index.expire(now: now) { writer.purgeDedupThrough = dropped }
        partitionStats.withLock { stats in
            for (partition, group) in groups {
                var current = stats[partition] ?? PartitionStats(count: 0, bytes: 0, oldestReceivedAt: group.oldest)
                current.count += group.payloads.count
                current.bytes += group.bytes
                current.oldestReceivedAt = min(current.oldestReceivedAt, group.oldest)
                stats[partition] = current
            }
        }
        for (position, batch) in batches.enumerated() { batch.waiter.resume(returning: outcomes[position]) }
    }

    /// Per-partition counts, bytes and oldest receipt time (in memory; no database access).
    public func stats() -> [PartitionID: PartitionStats] {
        partitionStats.withLock { $0 }
    }

    /// Checks that the database can take a write transaction (for `/health/ready`).
    public func checkWritable() async throws {
        try await onQueue { writer in
            try writer.db.execute("BEGIN IMMEDIATE")
            try writer.db.execute("ROLLBACK")
        }
    }

    /// Checkpoints the WAL into the main database file (truncating it).
    public func checkpoint() async throws {
        try await onQueue { writer in try writer.db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    static func nowMicros() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// Runs `work` on the writer queue and returns its result.
    func onQueue<T: Sendable>(_ work: @escaping @Sendable (WriterState) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try work(self.writer))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

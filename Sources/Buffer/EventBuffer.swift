import Dispatch
import Foundation
import Logging
import Synchronization
import SQLite
import FloeSupport

/// The durable per-partition event buffer: SQLite in WAL mode behind a single group-committing writer.
///
/// `append` returns only after the transaction holding the events has committed (and, with
/// ``BufferConfiguration/Durability/fsync``, reached the disk). Appends that arrive while a
/// transaction is being written wait and share the next one, so one fsync acknowledges many
/// requests; with ``BufferConfiguration/groupCommitInterval`` set, ``GroupCommitSchedule`` also
/// spaces transactions under load, so each gathers more. Each transaction stores the events of one partition as one chunk row
/// (``EventChunk``). All database work runs on one serial queue, never on the cooperative pool.
///
/// ```swift
/// let buffer = try EventBuffer(configuration: .init(path: "floe-data/buffer.db"), logger: logger)
/// try await buffer.append([event])          // durable on return
/// let rows = try await buffer.rows(in: partition, limit: 2000)
/// ```
public final class EventBuffer: Sendable {
    typealias Waiter = CheckedContinuation<AppendOutcome, any Error>

    let queue = DispatchQueue(label: "floe.buffer.writer")
    /// Accessed only on `queue`.
    let writer: WriterState
    /// Reads rows back for flushes on its own connection and queue, beside the writer (WAL
    /// readers see the last committed state and never block appends).
    let reader: BufferReader
    private let pending: Mutex<GroupCommitSchedule<(append: PreparedAppend, waiter: Waiter)>>
    let partitionStats = Mutex([PartitionID: PartitionStats]())
    let pendingIntentCount = Mutex(0)
    /// Whether the last append failed because the disk was full (cleared by one that commits): readiness then
    /// asks the file system for room, so that a load balancer stops sending events that would be refused.
    let diskFull = Mutex(false)
    /// The buffer file as opened (device and inode): one removed or replaced under a running process would take
    /// acknowledged events with it, so appends and readiness check that it is still the file at its path.
    private let openedFile: FileIdentity?
    let purges = Mutex(PurgeState())

    /// Flushed chunks waiting to be deleted.
    struct PurgeState {
        var targets: [Int64: Int64] = [:]
        var scheduled = false
    }
    let configuration: BufferConfiguration
    let logger: Logger
    /// The id this buffer's flushes commit under (stored in the database; stable across restarts).
    public let writerId: String
    private let checkpointer: WALCheckpointer

    public init(configuration: BufferConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        pending = Mutex(GroupCommitSchedule(interval: configuration.groupCommitInterval))
        do {
            let db = try SQLiteDatabase(path: configuration.path)
            db.ownerQueue = queue
            try BufferSchema.migrate(db, durability: configuration.durability)
            checkpointer = try WALCheckpointer(path: configuration.path, durability: configuration.durability)
            checkpointer.attach(to: db)
            let window = Int64(configuration.dedupWindowSeconds) * 1_000_000
            let dedup = try BufferSchema.loadDedupIndex(db, window: window, capacity: configuration.maxDedupKeys,
                                                        now: WallClock.nowMicros())
            let partitions = try BufferSchema.loadPartitions(db)
            writerId = try BufferSchema.loadWriterId(db)
            writer = WriterState(db: db, dedup: dedup, partitions: partitions.ids, flushedThrough: partitions.flushedThrough,
                                 nextSequence: try BufferSchema.loadNextSequence(db),
                                 nextDedupBlock: try BufferSchema.loadNextDedupBlock(db))
            reader = try BufferReader(path: configuration.path)
            openedFile = FileIdentity(path: configuration.path)
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
        } catch {
            throw BufferError.wrapping(error)
        }
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
    public func append(_ events: EventBatch) async throws -> AppendOutcome {
        guard !events.isEmpty else { return AppendOutcome(stored: 0, duplicates: 0) }
        let prepared = PreparedAppend(events)
        try checkLimits(for: prepared)
        return try await withCheckedThrowingContinuation { (waiter: Waiter) in
            switch pending.withLock({ $0.enqueue((prepared, waiter)) }) {
            case nil:
                break
            case .now(let generation):
                queue.async { self.drainAppends(generation: generation) }
            case .at(let start, let generation):
                queue.asyncAfter(deadline: start) { self.drainAppends(generation: generation) }
            }
        }
    }

    /// Stores `events` as the ``EventBatch`` form does.
    @discardableResult
    public func append(_ events: [BufferedEvent]) async throws -> AppendOutcome {
        try await append(EventBatch(events))
    }

    private func checkLimits(for append: PreparedAppend) throws(BufferError) {
        let (held, heldBytes): ([Int], Int) = partitionStats.withLock { stats in
            (append.parts.map { stats[$0.partition]?.count ?? 0 }, stats.values.reduce(0) { $0 + $1.bytes })
        }
        for (part, held) in zip(append.parts, held) where held + part.count > configuration.maxPartitionEvents {
            throw BufferError(.partitionFull, "partition holds \(held) events; limit is \(configuration.maxPartitionEvents)",
                              context: ["table": part.partition.table, "partition": part.partition.key])
        }
        if heldBytes + append.bytes > configuration.maxBufferedBytes {
            throw BufferError(.budgetExceeded, "buffer holds \(heldBytes) bytes; budget is \(configuration.maxBufferedBytes)")
        }
    }

    /// One partition's share of a transaction: the chunk it will insert.
    private struct Group {
        var partition: PartitionID
        var chunk: [UInt8] = []
        var count = 0
        var bytes = 0
        var oldest = Int64.max
    }

    /// Runs on `queue`: writes every waiting append in one transaction and answers them all.
    ///
    /// Per event only the dedup lookup happens here; chunks were encoded by ``PreparedAppend``
    /// and are copied whole, and the transaction's new dedup keys go into one `dedup_blocks` row.
    private func drainAppends(generation: Int) {
        guard let batches = pending.withLock({ $0.take(generation: generation) }) else { return }
        guard !batches.isEmpty else { return }
        let db = writer.db
        db.assertOnOwnerQueue()
        let index = writer.dedup
        let now = WallClock.nowMicros()
        let expiresAt = now + index.window
        let dedupBlock = writer.nextDedupBlock
        let mark = index.mark
        var outcomes = [AppendOutcome](repeating: AppendOutcome(stored: 0, duplicates: 0), count: batches.count)
        var newKeys: [UInt8] = []
        var groups: [Group] = []
        var groupOf: [PartitionID: Int] = [:]
        var newPartitions: [PartitionID: Int64] = [:]
        var sequence = writer.nextSequence
        for batch in batches {
            for part in batch.append.parts { index.warm(part.keys) }
        }
        do {
            try checkFileInPlace()
            try db.transaction {
                if let purge = writer.purgeDedupThrough {
                    let statement = try db.statement("DELETE FROM dedup_blocks WHERE id <= ?1")
                    try statement.bind(1, purge)
                    try statement.run()
                }
                for (position, batch) in batches.enumerated() {
                    for part in batch.append.parts {
                        var duplicates: [Int] = []
                        for (event, key) in part.keys.enumerated() {
                            guard let key else { continue }
                            if index.insert(key, expiresAt: expiresAt, rowid: dedupBlock) {
                                DedupIndex.appendBytes(of: key, to: &newKeys)
                            } else {
                                duplicates.append(event)
                            }
                        }
                        outcomes[position].duplicates += duplicates.count
                        if !duplicates.isEmpty {
                            outcomes[position].duplicatesByTable[part.partition.table, default: 0] += duplicates.count
                        }
                        outcomes[position].stored += part.count - duplicates.count
                        guard duplicates.count < part.count else { continue }
                        let slot: Int
                        if let known = groupOf[part.partition] {
                            slot = known
                        } else {
                            slot = groups.count
                            groupOf[part.partition] = slot
                            groups.append(Group(partition: part.partition))
                        }
                        if duplicates.isEmpty && groups[slot].count == 0 {
                            // A partition's first part is shared, not copied (it is often the only one).
                            groups[slot].chunk = part.chunk
                            groups[slot].count = part.count
                            groups[slot].bytes = part.bytes
                        } else if duplicates.isEmpty {
                            groups[slot].chunk.append(contentsOf: part.chunk)
                            groups[slot].count += part.count
                            groups[slot].bytes += part.bytes
                        } else {
                            var skip = duplicates.makeIterator()
                            var nextSkip = skip.next()
                            for (event, payload) in try EventChunk.decode(part.chunk).enumerated() {
                                if event == nextSkip {
                                    nextSkip = skip.next()
                                    continue
                                }
                                EventChunk.append(payload, to: &groups[slot].chunk)
                                groups[slot].count += 1
                                groups[slot].bytes += payload.count
                            }
                        }
                        groups[slot].oldest = min(groups[slot].oldest, part.oldest)
                    }
                }
                for group in groups {
                    var pid = writer.partitions[group.partition] ?? newPartitions[group.partition]
                    if pid == nil {
                        let create = try db.statement("INSERT INTO partitions(tbl, part) VALUES (?1, ?2)")
                        try create.bind(1, group.partition.table)
                        try create.bind(2, group.partition.key)
                        try create.run()
                        pid = db.lastInsertRowid
                        newPartitions[group.partition] = pid
                    }
                    let insert = try db.statement(
                        "INSERT INTO chunks(pid, first_seq, last_seq, received_at, payload) VALUES (?1, ?2, ?3, ?4, ?5)")
                    try insert.bind(1, pid ?? 0)
                    try insert.bind(2, sequence)
                    try insert.bind(3, sequence + Int64(group.count) - 1)
                    try insert.bind(4, group.oldest)
                    try insert.run(binding: group.chunk, at: 5)
                    sequence += Int64(group.count)
                }
                if !newKeys.isEmpty {
                    let remember = try db.statement("INSERT INTO dedup_blocks(id, expires_at, keys) VALUES (?1, ?2, ?3)")
                    try remember.bind(1, dedupBlock)
                    try remember.bind(2, expiresAt)
                    try remember.run(binding: newKeys, at: 3)
                }
            }
        } catch {
            index.rollback(to: mark)
            let error = BufferError.wrapping(error)
            logger.error("buffer append failed", metadata: ["error.message": "\(error)"])
            if (error as? BufferError)?.code == .diskFull { diskFull.withLock { $0 = true } }
            for batch in batches { batch.waiter.resume(throwing: error) }
            return
        }
        writer.nextSequence = sequence
        diskFull.withLock { $0 = false }
        if !newKeys.isEmpty { writer.nextDedupBlock += 1 }
        writer.partitions.merge(newPartitions) { old, _ in old }
        writer.purgeDedupThrough = nil
        if let freed = index.expire(now: now), freed > writer.dedupPurgedThrough {
            writer.purgeDedupThrough = freed
            writer.dedupPurgedThrough = freed
        }
        partitionStats.withLock { stats in
            for group in groups {
                var current = stats[group.partition] ?? PartitionStats(count: 0, bytes: 0, oldestReceivedAt: group.oldest)
                current.count += group.count
                current.bytes += group.bytes
                current.oldestReceivedAt = min(current.oldestReceivedAt, group.oldest)
                stats[group.partition] = current
            }
        }
        for (position, batch) in batches.enumerated() { batch.waiter.resume(returning: outcomes[position]) }
    }

    /// Per-partition counts, bytes and oldest receipt time (in memory; no database access).
    public func stats() -> [PartitionID: PartitionStats] {
        partitionStats.withLock { $0 }
    }

    /// Checks that the database can take a write transaction (for `/health/ready`).
    ///
    /// After an append that found the disk full, also that the file system has ``minimumFreeBytes`` free again
    /// (`diskFull`, 507, until then): the write lock alone does not show that events would fit.
    public func checkWritable() async throws {
        try checkFileInPlace()
        try await onQueue { writer in
            try writer.db.inTransaction(.immediate) { .rollback }
        }
        guard diskFull.withLock({ $0 }) else { return }
        let directory = (configuration.path as NSString).deletingLastPathComponent
        if let free = DiskSpace.available(at: directory.isEmpty ? "." : directory), free < Self.minimumFreeBytes {
            throw BufferError(.diskFull, "the disk is full (\(free) bytes free; events are taken again from \(Self.minimumFreeBytes))")
        }
    }

    /// Throws when the buffer file is no longer the one opened (the data directory removed, the file replaced): what
    /// would be appended could not be found again after a restart.
    private func checkFileInPlace() throws(BufferError) {
        guard let openedFile, FileIdentity(path: configuration.path) != openedFile else { return }
        throw BufferError(.fileReplaced, "the buffer file \(configuration.path) was removed or replaced while Floe ran; restart Floe")
    }

    /// The room that makes a buffer whose disk was full ready again: a few requests' events and their log.
    public static let minimumFreeBytes: Int64 = 16 << 20

    /// Checkpoints the WAL into the main database file (truncating it).
    public func checkpoint() async throws {
        try await onQueue { writer in try writer.db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Runs `work` on the writer queue and returns its result.
    func onQueue<T: Sendable>(_ work: @escaping @Sendable (WriterState) throws -> T) async throws -> T {
        try await queue.perform {
            self.writer.db.assertOnOwnerQueue()
            return try work(self.writer)
        }
    }
}

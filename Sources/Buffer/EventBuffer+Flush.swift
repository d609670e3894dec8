import Foundation

/// Reading buffered events back and the flush bookkeeping of docs/design.md §5.
extension EventBuffer {
    /// The oldest unflushed events of a partition in arrival order, at most `limit` (read beside the writer).
    public func rows(in partition: PartitionID, limit: Int) async throws -> [StoredRow] {
        try await reader.rows(in: partition, limit: limit)
    }

    /// The events of a partition with sequence numbers in `sequences`, in order (read beside the writer).
    public func rows(in partition: PartitionID, sequences: ClosedRange<Int64>) async throws -> [StoredRow] {
        try await reader.rows(in: partition, sequences: sequences)
    }

    /// Records a flush intent durably (step 2 of docs/design.md §5).
    public func recordIntent(_ intent: FlushIntent) async throws {
        let body = try JSONEncoder().encode(intent)
        let text = String(decoding: body, as: UTF8.self)
        try await onQueue { writer in
            let statement = try writer.db.statement(
                "INSERT INTO flush_intents(commit_id, tbl, created_at, body) VALUES (?1, ?2, ?3, ?4)")
            try statement.bind(1, intent.commitId)
            try statement.bind(2, intent.table)
            try statement.bind(3, intent.createdAt)
            try statement.bind(4, text)
            try statement.run()
        }
        pendingIntentCount.withLock { $0 += 1 }
    }

    /// Whether any intent is pending (in memory; no database access).
    public var hasPendingIntents: Bool {
        pendingIntentCount.withLock { $0 > 0 }
    }

    /// Intents recorded and not yet completed, oldest first.
    public func pendingIntents() async throws -> [FlushIntent] {
        let bodies: [String] = try await onQueue { writer in
            let statement = try writer.db.statement("SELECT body FROM flush_intents ORDER BY created_at, commit_id")
            var result: [String] = []
            while try statement.step() { result.append(statement.string(0)) }
            return result
        }
        return try bodies.map { try JSONDecoder().decode(FlushIntent.self, from: Data($0.utf8)) }
    }

    /// Marks the intent's events flushed and forgets the intent, in one transaction (step 5 of docs/design.md §5).
    ///
    /// Each partition's `flushed_through` watermark moves past the intent's events, so they are
    /// no longer read or counted; their chunks are deleted afterwards by a background purge that
    /// is safe to repeat. Completing an intent that is already complete changes nothing.
    public func completeIntent(_ intent: FlushIntent) async throws {
        struct Completion: Sendable {
            var removed: [PartitionID: Int] = [:]
            var removedBytes: [PartitionID: Int] = [:]
            var oldest: [PartitionID: Int64] = [:]
            var purge: [Int64: Int64] = [:]
        }
        let completion: Completion? = try await onQueue { writer in
            let db = writer.db
            var completion = Completion()
            var known = true
            try db.inTransaction(.immediate) {
                let forget = try db.statement("DELETE FROM flush_intents WHERE commit_id = ?1")
                try forget.bind(1, intent.commitId)
                try forget.run()
                guard db.changes > 0 else {
                    known = false
                    return .rollback
                }
                for file in intent.files {
                    let partition = PartitionID(table: intent.table, key: file.partitionKey)
                    guard let pid = writer.partitions[partition] else { continue }
                    completion.removed[partition, default: 0] += file.rowCount
                    completion.removedBytes[partition, default: 0] += file.payloadBytes
                    completion.purge[pid] = max(completion.purge[pid] ?? 0, file.lastSequence)
                }
                for (pid, through) in completion.purge {
                    let advance = try db.statement(
                        "UPDATE partitions SET flushed_through = MAX(flushed_through, ?2) WHERE pid = ?1")
                    try advance.bind(1, pid)
                    try advance.bind(2, through)
                    try advance.run()
                }
                // Read in the same transaction: if it fails, nothing is completed, and the in-memory
                // stats below never disagree with the watermarks.
                for partition in completion.removed.keys {
                    guard let pid = writer.partitions[partition] else { continue }
                    // Events arrive in sequence order, so the first unflushed chunk holds the oldest.
                    let statement = try db.statement(
                        "SELECT received_at FROM chunks WHERE pid = ?1 AND last_seq > ?2 ORDER BY last_seq LIMIT 1")
                    try statement.bind(1, pid)
                    try statement.bind(2, max(writer.flushedThrough[pid] ?? 0, completion.purge[pid] ?? 0))
                    if let oldest = try statement.firstRow({ $0.int64(0) }) { completion.oldest[partition] = oldest }
                }
                return .commit
            }
            guard known else { return nil }
            for (pid, through) in completion.purge {
                writer.flushedThrough[pid] = max(writer.flushedThrough[pid] ?? 0, through)
            }
            return completion
        }
        guard let completion else { return }
        pendingIntentCount.withLock { $0 = max(0, $0 - 1) }
        partitionStats.withLock { stats in
            for (partition, count) in completion.removed {
                guard var current = stats[partition] else { continue }
                current.count -= count
                current.bytes = max(0, current.bytes - (completion.removedBytes[partition] ?? 0))
                if current.count <= 0 {
                    stats[partition] = nil
                } else {
                    current.oldestReceivedAt = completion.oldest[partition] ?? current.oldestReceivedAt
                    stats[partition] = current
                }
            }
        }
        for (pid, through) in completion.purge { schedulePurge(pid: pid, through: through) }
    }

    /// Deletes fully flushed chunks in the background, coalesced and a little later.
    ///
    /// The watermark already hides these events, so nothing waits for the delete: requests
    /// within `purgeDelay` are merged into one job on the writer queue. The job deletes in short
    /// steps (``purgeStepNanoseconds`` per transaction, without an fsync of its own:
    /// `synchronous=NORMAL`) and queues the next step behind the appends that arrived meanwhile,
    /// so a large purge never holds up acknowledgements. A crash merely leaves chunks for the
    /// next start's purge.
    func schedulePurge(pid: Int64, through: Int64) {
        let schedule = purges.withLock { state -> Bool in
            state.targets[pid] = max(state.targets[pid] ?? 0, through)
            if state.scheduled { return false }
            state.scheduled = true
            return true
        }
        if schedule {
            queue.asyncAfter(deadline: .now() + configuration.purgeDelay) { self.runPurgeStep() }
        }
    }

    /// How long a purge waits after a failed step (a full disk, an I/O error) before it tries again.
    static var purgeRetryDelay: Duration { .seconds(5) }

    /// How long one purge transaction may run before it commits and yields the writer queue.
    static var purgeStepNanoseconds: UInt64 { 3_000_000 }

    /// One purge step on the writer queue: deletes flushed chunks in id (that is, page) order
    /// for at most ``purgeStepNanoseconds``, then queues the next step behind waiting appends.
    ///
    /// Chunks of all partitions are interleaved in the table, so deleting one partition at a
    /// time would rewrite each page once per partition; the ids of every target partition are
    /// gathered from the `(pid, last_seq)` index and deleted together, in order, and a page whose
    /// chunks are all flushed is freed in one go.
    private func runPurgeStep() {
        let db = writer.db
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            try db.execute("PRAGMA synchronous=NORMAL")
            defer {
                try? db.execute(configuration.durability == .fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
            }
            if writer.purgeQueue.isEmpty {
                let targets = purges.withLock { state in
                    let taken = state.targets
                    state.targets = [:]
                    return taken
                }
                var ids: [Int64] = []
                let select = try db.statement("SELECT id FROM chunks WHERE pid = ?1 AND last_seq <= ?2")
                for (pid, through) in targets {
                    try select.bind(1, pid)
                    try select.bind(2, through)
                    while try select.step() { ids.append(select.int64(0)) }
                    select.reset()
                }
                writer.purgeQueue = ids.sorted(by: >)
                writer.purgeTargets = targets
            }
            if !writer.purgeQueue.isEmpty {
                try db.transaction {
                    let delete = try db.statement("DELETE FROM chunks WHERE id = ?1")
                    var deleted = 0
                    while let id = writer.purgeQueue.last {
                        try delete.bind(1, id)
                        try delete.run()
                        delete.reset()
                        writer.purgeQueue.removeLast()
                        deleted += 1
                        if deleted % 16 == 0, DispatchTime.now().uptimeNanoseconds - started > Self.purgeStepNanoseconds { break }
                    }
                }
            }
        } catch {
            // The step's deletes were rolled back: the chunks are gathered again, later (a full disk may have room
            // by then; start-up purges them too).
            logger.warning("purge of flushed events failed; will retry", metadata: [
                "error.message": "\(error)", "floe.retry_in_s": "\(Self.purgeRetryDelay.inSeconds)"])
            let targets = writer.purgeTargets
            writer.purgeQueue = []
            writer.purgeTargets = [:]
            purges.withLock { state in
                state.targets.merge(targets) { max($0, $1) }
            }
            queue.asyncAfter(deadline: .now() + Self.purgeRetryDelay.inSeconds) { self.runPurgeStep() }
            return
        }
        let queued = !writer.purgeQueue.isEmpty
        let more = purges.withLock { state -> Bool in
            if !queued && state.targets.isEmpty { state.scheduled = false }
            return queued || !state.targets.isEmpty
        }
        // Behind whatever appends queued up during this step.
        if more { queue.async { self.runPurgeStep() } }
    }
}

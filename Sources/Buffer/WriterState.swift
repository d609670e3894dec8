import SQLite
/// State owned by the buffer's serial writer queue, carried into its closures.
///
/// Each box is `@unchecked Sendable` for one reason: ``EventBuffer`` only ever touches it from
/// its serial `queue`, which is what makes the mutable state safe.
final class WriterState: @unchecked Sendable {
    let db: SQLiteDatabase
    let dedup: DedupIndex
    /// Rows of `dedup_blocks` up to this id have expired; deleted in the next transaction.
    var purgeDedupThrough: Int64?
    /// The highest `dedup_blocks` id a purge has been asked for.
    var dedupPurgedThrough: Int64 = 0
    /// The id of the next `dedup_blocks` row (one per transaction that stores keys).
    var nextDedupBlock: Int64
    /// Partition ids by partition.
    var partitions: [PartitionID: Int64]
    /// Per partition id: events with a sequence number at or below this are flushed.
    var flushedThrough: [Int64: Int64]
    /// The next event sequence number to hand out.
    var nextSequence: Int64
    /// Ids of flushed chunks the running purge still has to delete, highest first.
    var purgeQueue: [Int64] = []
    /// The flushed-through sequence per partition that `purgeQueue` was gathered for, given back to be gathered
    /// again when a purge step fails.
    var purgeTargets: [Int64: Int64] = [:]

    init(db: SQLiteDatabase, dedup: DedupIndex, partitions: [PartitionID: Int64],
         flushedThrough: [Int64: Int64], nextSequence: Int64, nextDedupBlock: Int64) {
        self.nextDedupBlock = nextDedupBlock
        self.db = db
        self.dedup = dedup
        self.partitions = partitions
        self.flushedThrough = flushedThrough
        self.nextSequence = nextSequence
    }
}

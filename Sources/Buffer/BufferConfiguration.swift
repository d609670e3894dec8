import Dispatch

/// Settings of the durable buffer.
public struct BufferConfiguration: Sendable {
    /// How a committed transaction reaches the disk.
    public enum Durability: String, Sendable, Codable {
        /// `synchronous=FULL`: a 200 survives power loss (one fsync per group commit).
        case fsync
        /// `synchronous=NORMAL` in WAL mode: survives a process crash, not power loss.
        case os
    }

    /// Path of the SQLite database file (`{data-dir}/buffer.db`).
    public var path: String
    /// Default ``Durability/fsync``.
    public var durability: Durability = .fsync
    /// Events one partition may hold before appends to it fail with `partitionFull`; default 10,000.
    public var maxPartitionEvents: Int = 10_000
    /// Payload bytes the whole buffer may hold before appends fail with `budgetExceeded`; default 1 GiB.
    public var maxBufferedBytes: Int = 1 << 30

    /// How long a message key is remembered for deduplication, in seconds; default 24 h.
    public var dedupWindowSeconds: Int = 86_400
    /// Most message keys remembered (about 24 bytes of memory each); the oldest are forgotten first.
    /// Default 4,000,000 (about 100 MB when full).
    public var maxDedupKeys: Int = 4_000_000

    /// The least time from the start of a transaction that answered several appends to the start of
    /// the next: an append arriving sooner waits for the rest of it, with every append arriving
    /// meanwhile, so one fsync answers more requests under load (the rules, including when the wait
    /// is cut short, are ``GroupCommitSchedule``'s). nil writes every transaction at once (appends
    /// arriving during one then share the next).
    public var groupCommitInterval: DispatchTimeInterval?
    /// How long after a flush its events' chunks are deleted; default 1 s (deletes coalesce).
    public var purgeDelay: DispatchTimeInterval = .seconds(1)

    public init(path: String) {
        self.path = path
    }
}

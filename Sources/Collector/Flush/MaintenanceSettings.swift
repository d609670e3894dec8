/// What `floe serve` does to its tables between flushes, and how often.
///
/// Every commit adds a snapshot and at least one small data file. Left alone, a table committed to
/// every few seconds grows a metadata file that every commit rewrites and every reader parses, and
/// thousands of small files that every query opens. Each run compacts the small files of closed
/// partitions (``Compactor``), expires snapshots beyond `maxSnapshots` and `maxSnapshotAgeMs`, and
/// removes files no snapshot references. Each part can be turned off, for a catalog that does it
/// itself (R2 Data Catalog can compact and expire).
struct MaintenanceSettings: Sendable {
    /// How often maintenance runs, in milliseconds; default 60,000.
    var intervalMs = 60_000
    /// Expire old snapshots; default on.
    var expireSnapshots = true
    /// Snapshots older than this (ms) are expired, beyond the newest one; default 3,600,000 (1 hour).
    var maxSnapshotAgeMs = 3_600_000
    /// At most this many snapshots of `main`'s history are kept, whatever their age; default 200.
    var maxSnapshots = 200
    /// Compact the small files of closed partitions; default on.
    var compact = true
    /// The size compaction aims at for a data file; files under three quarters of it count as small.
    /// Default 128 MiB.
    var targetFileSizeBytes = 128 * 1024 * 1024
    /// How long after its hour ends a partition counts as closed (late events still arrive); default 3,600,000.
    var partitionGraceMs = 3_600_000
    /// Most bytes of small files one run reads per table (the rest waits for the next run); default 1 GiB.
    var compactionMaxBytes = 1024 * 1024 * 1024
    /// Delete files under the tables' locations that no snapshot references; default on.
    var removeOrphans = true
    /// How often (ms) orphan removal runs at most: it lists everything under the tables' locations and
    /// reads every kept snapshot's manifests; default 3,600,000 (1 hour).
    var orphanIntervalMs = 3_600_000
    /// Only files older than this (ms) are orphans, so that a flush's uploads are never taken for
    /// orphans before its commit; default 86,400,000 (1 day).
    var orphanAgeMs = 86_400_000

    /// Whether any part is on.
    var isEnabled: Bool { intervalMs > 0 && (expireSnapshots || compact || removeOrphans) }
}

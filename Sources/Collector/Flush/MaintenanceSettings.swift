/// What `floe serve` does to its tables between flushes, and how often.
///
/// Every commit adds a snapshot, and the current metadata file lists them all: left alone, a
/// table committed to every few seconds grows a metadata file that every commit rewrites and
/// every reader parses, and flushes slow down with the table's age. Expiry keeps the history to
/// the last `maxSnapshots` snapshots and `maxSnapshotAgeMs`, so the metadata stays bounded
/// whatever the table's age. Turn it off when the catalog expires snapshots itself (R2 Data
/// Catalog can).
struct MaintenanceSettings: Sendable {
    /// How often maintenance runs, in milliseconds; default 60,000.
    var intervalMs = 60_000
    /// Expire old snapshots; default on.
    var expireSnapshots = true
    /// Snapshots older than this (ms) are expired, beyond the newest one; default 3,600,000 (1 hour).
    var maxSnapshotAgeMs = 3_600_000
    /// At most this many snapshots of `main`'s history are kept, whatever their age; default 200.
    var maxSnapshots = 200
}

import Buffer
import Synchronization

/// The ``PartitionID`` of each recently seen ``PartitionSlot``, shared by every request.
///
/// A partition's id is the string `{type}/{YYYY-MM-DD-HH}` (a heap string per event when built
/// each time); live traffic lands in a handful of partitions, so the ids are built once and
/// looked up by slot. Bounded: past ``limit`` slots (a backfill over years) it starts afresh, and a
/// key longer than ``maxCachedKeyBytes`` (a long CloudEvents `type`, client input) is never kept.
final class PartitionIDCache: Sendable {
    /// The cache the ingest routes use.
    static let shared = PartitionIDCache()

    /// Slots kept before the cache is emptied.
    let limit: Int
    /// Longest key kept, so that the cache holds at most `limit` short strings.
    static let maxCachedKeyBytes = 256
    private let ids = Mutex<[PartitionSlot: PartitionID]>([:])

    init(limit: Int = 4096) {
        self.limit = limit
    }

    /// The slot's id, built on first use.
    func id(for slot: PartitionSlot) -> PartitionID {
        if let id = ids.withLock({ $0[slot] }) { return id }
        let id = PartitionID(table: slot.table.name, key: slot.key.description)
        guard id.key.utf8.count <= Self.maxCachedKeyBytes else { return id }
        ids.withLock { ids in
            if ids.count >= limit { ids.removeAll(keepingCapacity: true) }
            ids[slot] = id
        }
        return id
    }

    /// Slots held now.
    var count: Int { ids.withLock { $0.count } }
}

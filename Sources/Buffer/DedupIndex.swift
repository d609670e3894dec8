/// The recent message keys (Segment `messageId`, CloudEvents `source`+`id`) the buffer has stored.
///
/// Keys live in memory as 128-bit hashes in arrival order, so a duplicate is found without a
/// B-tree lookup on the acknowledgement path. Every stored key is also appended to the
/// `dedup_keys` table in the same transaction as its row, which is how the index is rebuilt at
/// start. Keys expire after the window (default 24 h) or when more than `capacity` are held.
/// Not thread-safe: used only on the buffer's writer queue.
final class DedupIndex {
    struct Key: Hashable {
        var high: UInt64
        var low: UInt64

        init(_ bytes: some Sequence<UInt8>) {
            // Two independent 64-bit FNV-1a style hashes with different primes and seeds.
            var first: UInt64 = 0xcbf2_9ce4_8422_2325
            var second: UInt64 = 0x9e37_79b9_7f4a_7c15
            for byte in bytes {
                first = (first ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
                second = (second ^ UInt64(byte)) &* 0xff51_afd7_ed55_8ccd
                second ^= second >> 29
            }
            high = first
            low = second
        }
    }

    private struct Entry {
        var key: Key
        var expiresAt: Int64
        var rowid: Int64
    }

    private var keys = Set<Key>()
    private var order: [Entry] = []
    private var head = 0
    let window: Int64
    let capacity: Int

    /// `window` in microseconds.
    init(window: Int64, capacity: Int) {
        self.window = window
        self.capacity = capacity
    }

    var count: Int { keys.count }

    func contains(_ key: Key) -> Bool { keys.contains(key) }

    func insert(_ key: Key, expiresAt: Int64, rowid: Int64) {
        if keys.insert(key).inserted {
            order.append(Entry(key: key, expiresAt: expiresAt, rowid: rowid))
        }
    }

    /// Drops expired keys (and the oldest past `capacity`); returns the highest dropped rowid.
    func expire(now: Int64) -> Int64? {
        var dropped: Int64?
        while head < order.count, order[head].expiresAt <= now || keys.count > capacity {
            keys.remove(order[head].key)
            dropped = order[head].rowid
            head += 1
        }
        if head > 4096, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        return dropped
    }
}

/// The recent message keys (Segment `messageId`, CloudEvents `source`+`id`) the buffer has stored.
///
/// Keys live in memory as 128-bit hashes, so a duplicate is found without a B-tree lookup on the
/// acknowledgement path. Every stored key is also appended to the `dedup_keys` table in the same
/// transaction as its row, which is how the index is rebuilt at start. Keys are forgotten after
/// the window (default 24 h) or, oldest first, when more than `capacity` are held.
///
/// Layout, about 24 bytes per key: the keys sit in arrival order in a ring (16 bytes each, its
/// pages resident only once used) grouped in blocks of ``blockSize`` that carry the block's
/// latest expiry and highest `dedup_keys` rowid; an open-addressing table of 32-bit ring
/// positions (linear probing, load ≤ 0.6) finds them. Keys expire a whole block at a time, so a
/// key may be remembered up to one block longer than its window — never shorter.
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

    /// Keys per block: the unit of expiry.
    static let blockSize = 1024

    private struct Block {
        var expiresAt: Int64 = .min
        var lastRowid: Int64 = 0
    }

    let window: Int64
    let capacity: Int
    private let ringCapacity: Int
    private let ring: UnsafeMutablePointer<Key>
    private var blocks: [Block]
    /// Absolute numbers of the oldest held key and of the next key; ring position = number % ringCapacity.
    private var head = 0
    private var tail = 0
    /// 0 = empty, otherwise ring position + 1.
    private var slots: [UInt32]
    private var shift: UInt64
    /// Highest rowid dropped by ``insert(_:expiresAt:rowid:)`` making room, reported by the next ``expire(now:)``.
    private var droppedRowid: Int64?

    /// `window` in microseconds; `capacity` at least one block.
    init(window: Int64, capacity: Int) {
        self.window = window
        self.capacity = max(capacity, Self.blockSize)
        let blockCount = (self.capacity + Self.blockSize - 1) / Self.blockSize + 1
        precondition(blockCount * Self.blockSize < Int(UInt32.max), "dedup capacity too large")
        ringCapacity = blockCount * Self.blockSize
        ring = .allocate(capacity: ringCapacity)
        blocks = Array(repeating: Block(), count: blockCount)
        slots = Array(repeating: 0, count: 1 << 16)
        shift = 64 - 16
    }

    deinit {
        ring.deallocate()
    }

    var count: Int { tail - head }

    func contains(_ key: Key) -> Bool {
        var slot = home(of: key)
        let mask = slots.count - 1
        while true {
            let stored = slots[slot]
            if stored == 0 { return false }
            if ring[Int(stored) - 1] == key { return true }
            slot = (slot + 1) & mask
        }
    }

    func insert(_ key: Key, expiresAt: Int64, rowid: Int64) {
        guard !contains(key) else { return }
        if tail % Self.blockSize == 0 {
            // Starting a block: the ring block it takes must be free, so forget the oldest keys if it is not.
            while tail - head > ringCapacity - Self.blockSize {
                droppedRowid = max(droppedRowid ?? .min, dropOldestBlock())
            }
        }
        if (count + 1) * 5 > slots.count * 3 { grow() }
        let position = tail % ringCapacity
        (ring + position).initialize(to: key)
        let block = position / Self.blockSize
        if tail % Self.blockSize == 0 { blocks[block] = Block() }
        blocks[block].expiresAt = max(blocks[block].expiresAt, expiresAt)
        blocks[block].lastRowid = max(blocks[block].lastRowid, rowid)
        place(position)
        tail += 1
    }

    /// Drops blocks whose keys all expired (and the oldest past `capacity`); returns the highest dropped rowid.
    func expire(now: Int64) -> Int64? {
        var dropped = droppedRowid
        droppedRowid = nil
        while head < tail {
            let block = blocks[(head % ringCapacity) / Self.blockSize]
            guard block.expiresAt <= now || count > capacity else { break }
            dropped = max(dropped ?? .min, dropOldestBlock())
        }
        return dropped
    }

    // MARK: - Internals

    private func home(of key: Key) -> Int {
        Int(truncatingIfNeeded: ((key.low ^ key.high) &* 0x9e37_79b9_7f4a_7c15) >> shift)
    }

    /// Puts ring `position` into the slot table (the key is not there yet).
    private func place(_ position: Int) {
        let mask = slots.count - 1
        var slot = home(of: ring[position])
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = UInt32(position + 1)
    }

    /// Removes the oldest block (up to `blockSize` keys) from the table; returns its highest rowid.
    private func dropOldestBlock() -> Int64 {
        let start = head
        let end = min(tail, start - start % Self.blockSize + Self.blockSize)
        for number in start..<end { remove(number % ringCapacity) }
        head = end
        return blocks[(start % ringCapacity) / Self.blockSize].lastRowid
    }

    /// Deletes ring `position` from the slot table, shifting later entries of its probe run back.
    private func remove(_ position: Int) {
        let mask = slots.count - 1
        let target = UInt32(position + 1)
        var slot = home(of: ring[position])
        while slots[slot] != target {
            if slots[slot] == 0 { return }
            slot = (slot + 1) & mask
        }
        var hole = slot
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let wanted = home(of: ring[Int(slots[next]) - 1])
            // Move the entry into the hole unless its home lies cyclically in (hole, next].
            let distanceToNext = (next - wanted) & mask
            let distanceToHole = (hole - wanted) & mask
            if distanceToHole < distanceToNext {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
    }

    private func grow() {
        let size = slots.count * 2
        slots = Array(repeating: 0, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
        for number in head..<tail { place(number % ringCapacity) }
    }
}

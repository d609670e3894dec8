#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The recent message keys (Segment `messageId`, CloudEvents `source`+`id`) the buffer has stored.
///
/// Keys live in memory as 128-bit hashes, so a duplicate is found without a B-tree lookup on the
/// acknowledgement path. Every stored key is also written to `dedup_blocks` in the same
/// transaction as its row (one row holds all the keys of a transaction), which is how the index
/// is rebuilt at start. Keys are forgotten after the window (default 24 h) or, oldest first, when
/// more than `capacity` are held.
///
/// Layout, about 24 bytes per key: the keys sit in arrival order in a ring (16 bytes each, its
/// pages resident only once used) grouped in blocks of ``blockSize`` that carry the block's
/// latest expiry and highest `dedup_blocks` row id; an open-addressing table of 32-bit slots
/// (linear probing, load ≤ 0.6) finds them. A slot holds the ring position in its low bits and a
/// few bits of the key's hash above them, so a probe past a different key rarely has to read
/// the ring (one cache miss per lookup of a new key instead of two). Keys expire a whole block at
/// a time, so a key may be remembered up to one block longer than its window — never shorter.
/// Not thread-safe: used only on the buffer's writer queue.
final class DedupIndex {
    typealias Key = DedupKey

    /// Appends the key's 16 bytes (as stored in `dedup_blocks.keys`) to `bytes`.
    static func appendBytes(of key: Key, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: key.high.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: key.low.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// The keys stored in one `dedup_blocks.keys` value (16 bytes each).
    static func keys(in bytes: [UInt8]) -> [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(bytes.count / 16)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 16 <= raw.count {
                let high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let low = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
                keys.append(Key(high: high, low: low))
                offset += 16
            }
        }
        return keys
    }

    /// Keys per block: the unit of expiry.
    static let blockSize = 1024

    private struct Block {
        var expiresAt: Int64 = .min
        var firstRowid: Int64 = .max
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
    /// 0 = empty, otherwise (tag << positionBits) | (ring position + 1).
    private let slots: UnsafeMutablePointer<UInt32>
    private let slotCount: Int
    private let shift: UInt64
    /// Bits of a slot that hold the ring position + 1; the rest hold the key's tag.
    private let positionBits: UInt32
    private let positionMask: UInt32
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
        positionBits = UInt32(Int.bitWidth - ringCapacity.leadingZeroBitCount)
        positionMask = positionBits >= 32 ? .max : (1 << positionBits) - 1
        blocks = Array(repeating: Block(), count: blockCount)
        // Sized for a full ring at load ≤ 0.6 once, so an insert never stops to rehash millions of
        // keys; calloc'd pages stay unresident (zero) until keys land on them.
        var size = 1 << 10
        while size * 3 < ringCapacity * 5 { size <<= 1 }
        slotCount = size
        guard let table = calloc(size, MemoryLayout<UInt32>.stride) else { fatalError("cannot allocate the dedup table") }
        slots = table.bindMemory(to: UInt32.self, capacity: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    deinit {
        ring.deallocate()
        free(slots)
    }

    var count: Int { tail - head }

    func contains(_ key: Key) -> Bool {
        if case .found = probe(key) { return true }
        return false
    }

    /// Reads the home slot of every key, so that the lookups that follow find them in cache.
    ///
    /// The table is tens of megabytes, so a new key's slot is a cache (and TLB) miss. Here the
    /// loads do not depend on each other and the processor overlaps their misses; in
    /// ``insert(_:expiresAt:rowid:)`` each probe waits for its own.
    func warm(_ keys: [Key?]) {
        var seen: UInt32 = 0
        for case let key? in keys { seen |= slots[home(of: key)] }
        // Kept, so that the loads are not optimized away.
        warmed = seen
    }

    private var warmed: UInt32 = 0

    /// Adds `key` unless it is held; `false` when it was already there (a duplicate).
    ///
    /// `rowid` is the `dedup_blocks` row that stores the key; `expiresAt` its end of the window.
    @discardableResult
    func insert(_ key: Key, expiresAt: Int64, rowid: Int64) -> Bool {
        if tail % Self.blockSize == 0 {
            // Starting a block: the ring block it takes must be free, so forget the oldest keys if it is not.
            while tail - head > ringCapacity - Self.blockSize {
                droppedRowid = max(droppedRowid ?? .min, dropOldestBlock())
            }
        }
        guard case .empty(let slot) = probe(key) else { return false }
        let position = tail % ringCapacity
        (ring + position).initialize(to: key)
        let block = position / Self.blockSize
        if tail % Self.blockSize == 0 { blocks[block] = Block() }
        blocks[block].expiresAt = max(blocks[block].expiresAt, expiresAt)
        blocks[block].firstRowid = min(blocks[block].firstRowid, rowid)
        blocks[block].lastRowid = max(blocks[block].lastRowid, rowid)
        slots[slot] = entry(position, tag: tag(of: key))
        tail += 1
        return true
    }

    /// The point ``rollback(to:)`` returns to: keys inserted after it can be taken back.
    var mark: Int { tail }

    /// Forgets the keys inserted since `mark`, newest first (their transaction did not commit).
    ///
    /// Keys dropped meanwhile to make room stay dropped: the ring had to give up that space anyway.
    func rollback(to mark: Int) {
        while tail > max(mark, head) {
            tail -= 1
            remove(tail % ringCapacity)
        }
    }

    /// Drops blocks whose keys all expired (and the oldest past `capacity`); returns the highest
    /// row id that no held key needs any more (rows up to it can be deleted), if any was freed.
    ///
    /// One row holds the keys of one transaction, which may straddle two blocks: a row is
    /// reported only once no held block refers to it.
    func expire(now: Int64) -> Int64? {
        var dropped = droppedRowid
        droppedRowid = nil
        while head < tail {
            let block = blocks[(head % ringCapacity) / Self.blockSize]
            guard block.expiresAt <= now || count > capacity else { break }
            dropped = max(dropped ?? .min, dropOldestBlock())
        }
        if let freed = dropped, head < tail {
            let stillNeeded = blocks[(head % ringCapacity) / Self.blockSize].firstRowid
            if freed >= stillNeeded {
                // Keep the shared row; report it with the block that releases it.
                droppedRowid = freed
                return stillNeeded > 1 ? stillNeeded - 1 : nil
            }
        }
        return dropped
    }

    // MARK: - Internals

    private func home(of key: Key) -> Int {
        Int(truncatingIfNeeded: ((key.low ^ key.high) &* 0x9e37_79b9_7f4a_7c15) >> shift)
    }

    /// Hash bits of the key kept in its slot, from bits the home slot does not use.
    private func tag(of key: Key) -> UInt32 {
        UInt32(truncatingIfNeeded: key.high)
    }

    private func entry(_ position: Int, tag: UInt32) -> UInt32 {
        positionBits >= 32 ? UInt32(position + 1) : (tag << positionBits) | UInt32(position + 1)
    }

    private func ringPosition(in slot: UInt32) -> Int {
        Int(slot & positionMask) - 1
    }

    private enum Probe {
        case found
        case empty(Int)
    }

    /// Walks `key`'s probe run: `.found` if it is held, else the empty slot that ends the run.
    private func probe(_ key: Key) -> Probe {
        let mask = slotCount - 1
        let wanted = entry(0, tag: tag(of: key)) & ~positionMask
        var slot = home(of: key)
        while true {
            let stored = slots[slot]
            if stored == 0 { return .empty(slot) }
            if stored & ~positionMask == wanted, ring[ringPosition(in: stored)] == key { return .found }
            slot = (slot + 1) & mask
        }
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
        let mask = slotCount - 1
        let target = entry(position, tag: tag(of: ring[position]))
        var slot = home(of: ring[position])
        while slots[slot] != target {
            if slots[slot] == 0 { return }
            slot = (slot + 1) & mask
        }
        var hole = slot
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let wanted = home(of: ring[ringPosition(in: slots[next])])
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
}

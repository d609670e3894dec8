#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds the dictionary of a byte-array column chunk: distinct values in first-seen order and one index per value.
///
/// Values are hashed and compared as byte slices of the source buffer; no `String` or per-value
/// array is created, and an entry is a reference to its first occurrence, so a dictionary that is
/// then not used (all values distinct) copies no bytes. The dictionary stops growing once its PLAIN
/// size would pass the limit, and the caller writes the remaining values PLAIN ([Encodings.md § Dictionary](https://github.com/apache/parquet-format/blob/master/Encodings.md#dictionary-encoding-plain_dictionary--2-and-rle_dictionary--8)).
struct DictionaryEncoder {
    /// The values being encoded: every ``encode(_:range:sizeLimit:indices:)`` call passes the same buffer.
    private var source = ByteArrayBuffer()
    /// Where each entry first occurs in `source`, in index order.
    private var firstOccurrence: [Int32] = []
    /// Size of the PLAIN-encoded dictionary page, in bytes.
    private(set) var plainSize = 0
    private var entryHashes: [UInt64] = []
    /// Open-addressing table of entry index + 1; 0 marks an empty slot.
    private var slots: [Int32]
    private var mask: Int

    init(expectedCount: Int) {
        var capacity = 64
        while capacity < expectedCount * 2 && capacity < 1 << 24 { capacity <<= 1 }
        slots = Array(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    var count: Int { firstOccurrence.count }

    /// Distinct values in index order, copied out of the source (once per chunk that uses them).
    var entries: ByteArrayBuffer {
        var entries = ByteArrayBuffer()
        entries.reserveCapacity(values: count, bytes: plainSize - 4 * count)
        source.bytes.withUnsafeBufferPointer { bytes in
            for index in firstOccurrence {
                let position = Int(index)
                entries.append(UnsafeBufferPointer(rebasing: bytes[Int(source.offsets[position])..<Int(source.offsets[position + 1])]))
            }
        }
        return entries
    }

    /// Bit width of the indices of this dictionary (at least 1).
    var indexBitWidth: Int {
        max(1, RLEHybridEncoder.bitWidth(forMaxValue: UInt64(max(count - 1, 0))))
    }

    /// Looks up or adds values `range` of `values`, appending their indices to `indices`.
    ///
    /// Returns the end of the prefix that was encoded: it is `range.upperBound` unless adding a
    /// new value would have made the dictionary page larger than `sizeLimit` bytes.
    mutating func encode(_ values: ByteArrayBuffer, range: Range<Int>, sizeLimit: Int,
                         indices: inout [UInt32]) -> Int {
        source = values
        var i = range.lowerBound
        values.bytes.withUnsafeBufferPointer { source in
            values.offsets.withUnsafeBufferPointer { offsets in
                while i < range.upperBound {
                    let start = Int(offsets[i])
                    let value = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: source[start..<Int(offsets[i + 1])]))
                    let hash = Self.hash(value)
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    var found = -1
                    while slots[slot] != 0 {
                        let entry = Int(slots[slot]) - 1
                        if entryHashes[entry] == hash && equals(entry: entry, value) {
                            found = entry
                            break
                        }
                        slot = (slot + 1) & mask
                    }
                    if found < 0 {
                        if plainSize + 4 + value.count > sizeLimit { break }
                        found = firstOccurrence.count
                        firstOccurrence.append(Int32(i))
                        entryHashes.append(hash)
                        plainSize += 4 + value.count
                        slots[slot] = Int32(found + 1)
                        if firstOccurrence.count * 2 > slots.count { grow() }
                    }
                    indices.append(UInt32(found))
                    i += 1
                }
            }
        }
        return i
    }

    private func equals(entry: Int, _ value: UnsafeRawBufferPointer) -> Bool {
        let position = Int(firstOccurrence[entry])
        let start = Int(source.offsets[position])
        let length = Int(source.offsets[position + 1]) - start
        guard length == value.count else { return false }
        if length == 0 { return true }
        return source.bytes.withUnsafeBufferPointer { stored in
            guard let a = stored.baseAddress, let b = value.baseAddress else { return false }
            return memcmp(a + start, b, length) == 0
        }
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        slots = Array(repeating: 0, count: capacity)
        mask = capacity - 1
        for (entry, hash) in entryHashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entry + 1)
        }
    }

    /// A fast 64-bit hash of a byte slice (multiply-xorshift over 8-byte words).
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = UInt64(bytes.count) &* k
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ word) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xFF51_AFD7_ED55_8CCD
        }
        h ^= h >> 32
        h = h &* k
        h ^= h >> 29
        return h
    }
}

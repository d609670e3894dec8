/// The 128-bit hash a message's identity is remembered by in the buffer's ``DedupIndex``: of `s`
/// and the Segment `messageId`, or of a CloudEvent's `source` and `id` (`CloudEventNormalizer.identity`).
///
/// Two independent 64-bit FNV-1a style hashes with different primes and seeds. The hash is
/// built by appending bytes, so a key made of several pieces is hashed where they lie, without
/// joining them first; appending pieces one after another gives the hash of their concatenation
/// (the value stored in `dedup_blocks`, so the scheme must not change).
public struct DedupKey: Hashable, Sendable {
    var high: UInt64
    var low: UInt64

    /// The hash of no bytes; ``append(_:)`` and ``append(contentsOf:)`` extend it.
    public init() {
        high = 0xcbf2_9ce4_8422_2325
        low = 0x9e37_79b9_7f4a_7c15
    }

    /// The hash of `bytes`.
    public init(_ bytes: some Sequence<UInt8>) {
        self.init()
        for byte in bytes { append(byte) }
    }

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public mutating func append(_ byte: UInt8) {
        high = (high ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        low = (low ^ UInt64(byte)) &* 0xff51_afd7_ed55_8ccd
        low ^= low >> 29
    }

    public mutating func append(contentsOf bytes: ArraySlice<UInt8>) {
        for byte in bytes { append(byte) }
    }
}

import Synchronization

/// Version-4 UUID strings for messages sent without a `messageId`, without a system call each.
///
/// Foundation's `UUID()` reads the kernel's random source on every call; at 100k events/s that
/// shows in profiles. IDs only need to be unique, so a xoshiro256** generator seeded once from
/// the system's random source (and shared behind a lock) gives the 122 random bits.
enum MessageIdGenerator {
    private static let state = Mutex(Xoshiro256StarStar(seed: SystemRandomNumberGenerator()))

    /// A lowercase `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx` string.
    static func next() -> String {
        let (high, low) = state.withLock { generator in (generator.next(), generator.next()) }
        let versioned = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let variant = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            let digits = Array("0123456789abcdef".utf8)
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[index] = digits[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            func dash() {
                buffer[index] = UInt8(ascii: "-")
                index += 1
            }
            put(versioned >> 32, nibbles: 8)
            dash()
            put((versioned >> 16) & 0xFFFF, nibbles: 4)
            dash()
            put(versioned & 0xFFFF, nibbles: 4)
            dash()
            put(variant >> 48, nibbles: 4)
            dash()
            put(variant & 0xFFFF_FFFF_FFFF, nibbles: 12)
            return 36
        }
    }
}

/// xoshiro256** (Blackman and Vigna): a small, fast, non-cryptographic 64-bit generator.
struct Xoshiro256StarStar: RandomNumberGenerator {
    private var s0, s1, s2, s3: UInt64

    init(seed source: some RandomNumberGenerator) {
        var source = source
        repeat {
            s0 = source.next(); s1 = source.next(); s2 = source.next(); s3 = source.next()
        } while s0 | s1 | s2 | s3 == 0
    }

    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }
}

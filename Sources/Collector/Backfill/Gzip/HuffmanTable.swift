/// A DEFLATE Huffman code (RFC 1951, section 3.2.2) as a decoding table: the low `rootBits` bits of
/// the input (least significant first) index the table directly; codes longer than that continue
/// in a subtable indexed by the bits after them.
///
/// Each entry is one `UInt32` (see ``Entry``) that says what the bits decode to and how many of
/// them to consume, so decoding a symbol is one or two loads and a shift.
struct HuffmanTable: ~Copyable {
    /// How an entry packs a decoded symbol.
    ///
    /// Bits 0–5: the bits to consume, so that shifting the bit buffer by the entry consumes them:
    /// the code's length (past the root, in a subtable), plus the extra bits of a length or
    /// distance; `rootBits` for a link to a subtable. Bits 8–11: where a length's or distance's
    /// extra bits start (its code's length); a link's subtable bits. Bits 12–15: the flags below.
    /// Bits 16–31: the value (a literal byte, a base length or distance, a code-length symbol, or a
    /// link's subtable offset).
    enum Entry {
        static let literal: UInt32 = 1 << 12
        static let endOfBlock: UInt32 = 1 << 13
        static let link: UInt32 = 1 << 14
        static let invalid: UInt32 = 1 << 15

        @inline(__always) static func make(value: Int, consume: Int, extraFrom: Int = 0, flags: UInt32) -> UInt32 {
            UInt32(truncatingIfNeeded: value) &<< 16 | UInt32(truncatingIfNeeded: extraFrom) &<< 8
                | UInt32(truncatingIfNeeded: consume) | flags
        }
    }

    /// What a symbol of the alphabet decodes to.
    enum Alphabet {
        /// Literals 0–255, end of block 256, lengths 257–285 (286 and 287 are invalid).
        case literalLength
        /// Distances 0–29 (30 and 31 are invalid).
        case distance
        /// Code lengths 0–18 of a dynamic block's header.
        case codeLength

        var rootBits: Int {
            switch self {
            case .literalLength: 11
            case .distance: 8
            case .codeLength: 7
            }
        }

        /// Entries the table can need: the root, plus at most one subtable of at most
        /// 2^(15 − rootBits) entries per symbol.
        var capacity: Int {
            switch self {
            case .literalLength: (1 << 11) + 288 << 4
            case .distance: (1 << 8) + 32 << 7
            case .codeLength: 1 << 7
            }
        }

        func entry(symbol: Int, consume: Int) -> UInt32 {
            switch self {
            case .literalLength:
                if symbol < 256 { return Entry.make(value: symbol, consume: consume, flags: Entry.literal) }
                if symbol == 256 { return Entry.make(value: 0, consume: consume, flags: Entry.endOfBlock) }
                let index = symbol - 257
                guard index < Self.lengthBase.count else { return Entry.make(value: 0, consume: 0, flags: Entry.invalid) }
                return Entry.make(value: Int(Self.lengthBase[index]), consume: consume + Int(Self.lengthExtra[index]),
                                  extraFrom: consume, flags: 0)
            case .distance:
                guard symbol < Self.distanceBase.count else { return Entry.make(value: 0, consume: 0, flags: Entry.invalid) }
                return Entry.make(value: Int(Self.distanceBase[symbol]), consume: consume + Int(Self.distanceExtra[symbol]),
                                  extraFrom: consume, flags: 0)
            case .codeLength:
                return Entry.make(value: symbol, consume: consume, flags: 0)
            }
        }

        static let lengthBase: [UInt16] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                           35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        static let lengthExtra: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                           3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        static let distanceBase: [UInt16] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                             257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
        static let distanceExtra: [UInt8] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                             7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    }

    /// Why code lengths do not make a usable code.
    enum BuildError: Error {
        case oversubscribed
        case incomplete
    }

    let alphabet: Alphabet
    let rootBits: Int
    let entries: UnsafeMutablePointer<UInt32>
    /// Scratch for building, kept so that a block's tables cost no allocation: codes per length,
    /// the symbols in canonical order, and per root prefix the longest code and its subtable.
    private let counts: UnsafeMutablePointer<Int>
    private let sorted: UnsafeMutablePointer<UInt16>
    private let longCodes: UnsafeMutablePointer<UInt16>
    private let longest: UnsafeMutablePointer<UInt8>
    private let subtable: UnsafeMutablePointer<Int32>

    init(_ alphabet: Alphabet) {
        self.alphabet = alphabet
        rootBits = alphabet.rootBits
        entries = .allocate(capacity: alphabet.capacity)
        entries.initialize(repeating: Entry.invalid, count: alphabet.capacity)
        counts = .allocate(capacity: 32)
        counts.initialize(repeating: 0, count: 32)
        sorted = .allocate(capacity: 288)
        sorted.initialize(repeating: 0, count: 288)
        longCodes = .allocate(capacity: 288)
        longCodes.initialize(repeating: 0, count: 288)
        longest = .allocate(capacity: 1 << rootBits)
        longest.initialize(repeating: 0, count: 1 << rootBits)
        subtable = .allocate(capacity: 1 << rootBits)
        subtable.initialize(repeating: -1, count: 1 << rootBits)
    }

    deinit {
        entries.deallocate()
        counts.deallocate()
        sorted.deallocate()
        longCodes.deallocate()
        longest.deallocate()
        subtable.deallocate()
    }

    /// Builds the table for the code with these lengths (0: the symbol is unused), in canonical
    /// order. A code that is not complete is refused, except one with a single code of length 1,
    /// which RFC 1951 allows for distances (zlib accepts it for every alphabet but code lengths).
    mutating func build(lengths: UnsafeBufferPointer<UInt8>) throws(BuildError) {
        let symbols = min(lengths.count, 288)
        counts.update(repeating: 0, count: 16)
        for symbol in 0..<symbols { counts[Int(lengths[symbol] & 15)] += 1 }
        counts[0] = 0
        var left = 1
        var maxLength = 0
        for length in 1...15 {
            left <<= 1
            left -= counts[length]
            if left < 0 { throw .oversubscribed }
            if counts[length] > 0 { maxLength = length }
        }
        if left > 0 && maxLength > 0 && (alphabet == .codeLength || maxLength != 1) { throw .incomplete }

        // Symbols in canonical order (by length, then symbol): `counts[16 + length]` is where
        // each length's symbols start.
        let start = counts + 16
        start[1] = 0
        for length in 1..<15 { start[length + 1] = start[length] + counts[length] }
        for symbol in 0..<symbols where lengths[symbol] > 0 {
            let length = Int(lengths[symbol] & 15)
            sorted[start[length]] = UInt16(symbol)
            start[length] += 1
        }

        let rootSize = 1 << rootBits
        let mask = rootSize - 1
        // An incomplete code leaves entries no code reaches: they stay invalid.
        if left > 0 { entries.update(repeating: Entry.invalid, count: rootSize) }
        var index = 0
        var code = 0
        var long = 0
        for length in 1...15 {
            for _ in 0..<counts[length] {
                let symbol = Int(sorted[index])
                let reversed = Self.reverse(code, bits: length)
                index += 1
                code += 1
                if length <= rootBits {
                    // Every root entry whose low bits are the code.
                    let entry = alphabet.entry(symbol: symbol, consume: length)
                    var slot = reversed
                    while slot < rootSize {
                        entries[slot] = entry
                        slot += 1 << length
                    }
                } else {
                    // Long codes are filled below, once each prefix's longest code is known.
                    sorted[long] = UInt16(symbol)
                    longCodes[long] = UInt16(reversed)
                    long += 1
                    longest[reversed & mask] = max(longest[reversed & mask], UInt8(length))
                }
            }
            code <<= 1
        }
        // One subtable per root prefix of long codes, as large as its longest code needs.
        var used = rootSize
        for position in 0..<long {
            let symbol = Int(sorted[position])
            let reversed = Int(longCodes[position])
            let length = Int(lengths[symbol])
            let prefix = reversed & mask
            let bits = Int(longest[prefix]) - rootBits
            if subtable[prefix] < 0 {
                subtable[prefix] = Int32(used)
                entries[prefix] = Entry.make(value: used, consume: rootBits, extraFrom: bits, flags: Entry.link)
                (entries + used).update(repeating: Entry.invalid, count: 1 << bits)
                used += 1 << bits
            }
            let base = Int(subtable[prefix])
            let rest = length - rootBits
            let entry = alphabet.entry(symbol: symbol, consume: rest)
            var slot = reversed >> rootBits
            while slot < 1 << bits {
                entries[base + slot] = entry
                slot += 1 << rest
            }
        }
        for position in 0..<long {
            let prefix = Int(longCodes[position]) & mask
            longest[prefix] = 0
            subtable[prefix] = -1
        }
    }

    /// Builds the fixed code of RFC 1951, section 3.2.6.
    mutating func buildFixed() {
        // The fixed codes are complete, so building cannot fail.
        try? (alphabet == .literalLength ? Self.fixedLiteralLengths : Self.fixedDistances)
            .withUnsafeBufferPointer { try build(lengths: $0) }
    }

    private static let fixedLiteralLengths: [UInt8] = (0..<288).map { symbol in
        symbol < 144 ? 8 : symbol < 256 ? 9 : symbol < 280 ? 7 : 8
    }
    private static let fixedDistances = [UInt8](repeating: 5, count: 32)

    /// The low `bits` bits of `code` in reverse order (codes are stored most significant bit first).
    private static func reverse(_ code: Int, bits: Int) -> Int {
        let reversed = Int(byteReversed[code & 0xFF]) << 8 | Int(byteReversed[(code >> 8) & 0xFF])
        return reversed >> (16 - bits)
    }

    private static let byteReversed: [UInt8] = (0..<256).map { byte in
        (0..<8).reduce(UInt8(0)) { reversed, bit in reversed | UInt8((byte >> bit) & 1) << (7 - bit) }
    }
}

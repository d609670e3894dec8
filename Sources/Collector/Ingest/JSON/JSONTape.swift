import FloeSupport

/// A validated JSON document as a flat tape of values that point into the original bytes.
///
/// One pass checks the grammar (RFC 8259, UTF-8, nesting depth) and records every value's kind
/// and byte range, so that payload objects such as `properties` can be stored exactly as sent
/// without building dictionaries. Containers record where their subtree ends (`next`), which
/// makes walking members and elements cheap.
struct JSONTape: Sendable {
    enum Kind: UInt8, Sendable {
        case object, array, string, number, `true`, `false`, null
    }

    struct Entry: Sendable {
        var kind: Kind
        /// Strings: whether the text holds a backslash escape (slow path for decoding).
        var hasEscapes: Bool
        /// Byte range of the value; for strings it includes the quotes.
        var start: Int32
        var end: Int32
        /// Index of the entry after this value's subtree.
        var next: Int32
    }

    /// The document; entries hold absolute indices into it (a slice keeps its base's indices).
    let bytes: ArraySlice<UInt8>
    private(set) var entries: [Entry]

    /// The default nesting limit: deeper documents are rejected, not recursed into.
    static let defaultMaxDepth = 128

    /// The UTF-8 byte order mark, which a document may start with (RFC 8259 §8.1: a parser may ignore it); callers skip
    /// it before parsing.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Parses and validates a whole document.
    ///
    /// - throws: ``JSONError`` naming the byte offset of the first problem.
    init(parsing bytes: [UInt8], maxDepth: Int = JSONTape.defaultMaxDepth) throws(JSONError) {
        try self.init(parsing: bytes[...], maxDepth: maxDepth)
    }

    /// Parses a document that is part of a larger buffer (a line of a backfill batch), without copying it.
    init(parsing bytes: ArraySlice<UInt8>, maxDepth: Int = JSONTape.defaultMaxDepth) throws(JSONError) {
        var storage: [Entry] = []
        try self.init(parsing: bytes, maxDepth: maxDepth, reusing: &storage, likelyRoomFirst: true)
    }

    /// Parses into the array `storage` held (taken; its memory is reused when nothing else holds it):
    /// a worker that parses many lines hands each tape's ``entries`` back for the next one.
    ///
    /// The parser writes entries through a pointer, into room for the most a document of this size
    /// can have (``maxEntries(byteCount:)``), so it neither checks capacity nor uniqueness per value.
    /// A reused array keeps the entries it already has past this document's: nothing reads an entry
    /// beyond the root's `next`.
    init(parsing bytes: ArraySlice<UInt8>, maxDepth: Int = JSONTape.defaultMaxDepth,
         reusing storage: inout [Entry]) throws(JSONError) {
        try self.init(parsing: bytes, maxDepth: maxDepth, reusing: &storage, likelyRoomFirst: false)
    }

    /// `likelyRoomFirst`: a tape parsed once (a request body, whose tape lives until the request is
    /// answered) first gets room for the entries the document likely has (``likelyEntries(byteCount:)``,
    /// a third of the full room) and is parsed again into the full room only when that is short; an
    /// array to be reused gets the full room at once, so that later documents of its size fit.
    private init(parsing bytes: ArraySlice<UInt8>, maxDepth: Int, reusing storage: inout [Entry],
                 likelyRoomFirst: Bool) throws(JSONError) {
        guard bytes.endIndex < Int(Int32.max) else {
            throw JSONError(message: "document too large", offset: 0)
        }
        self.bytes = bytes
        let room = Self.maxEntries(byteCount: bytes.count)
        var entries = storage
        storage = []
        // withUnsafe… rethrows untyped errors, so carry the typed error out in a Result.
        var outcome: Result<Void, JSONError> = .success(())
        var outOfRoom = false
        func parse(_ buffer: UnsafeBufferPointer<UInt8>, into room: UnsafeMutableBufferPointer<Entry>) -> Int {
            var parser = Parser(bytes: buffer, origin: bytes.startIndex, maxDepth: maxDepth, entries: room)
            outcome = Result { () throws(JSONError) in try parser.parseDocument() }
            outOfRoom = parser.outOfRoom
            return parser.count
        }
        if entries.count < room, entries.capacity >= room {
            // Room the array already has: fill what it lacks once, then write in place from now on.
            entries.append(contentsOf: repeatElement(Entry(kind: .null, hasEscapes: false, start: 0, end: 0, next: 0),
                                                    count: room - entries.count))
        }
        if entries.count >= room {
            bytes.withUnsafeBufferPointer { buffer in
                entries.withUnsafeMutableBufferPointer { _ = parse(buffer, into: $0) }
            }
        } else {
            var capacity = likelyRoomFirst ? Self.likelyEntries(byteCount: bytes.count) : room
            while true {
                entries = bytes.withUnsafeBufferPointer { buffer in
                    [Entry](unsafeUninitializedCapacity: capacity) { slots, initialized in
                        initialized = parse(buffer, into: slots)
                    }
                }
                guard outOfRoom, capacity < room else { break }
                capacity = room
            }
        }
        try outcome.get()
        self.entries = entries
    }

    /// The most entries a document of `byteCount` bytes can hold: every value but the document
    /// itself takes at least two bytes (its text and a separator, a colon or a bracket), so
    /// `2 × entries − 1 ≤ byteCount`.
    static func maxEntries(byteCount: Int) -> Int { (byteCount + 1) / 2 }

    /// The entries a document of `byteCount` bytes likely holds: Segment and CloudEvents payloads take
    /// 10–13 bytes per value, so one entry per 6 bytes, plus a few for small documents, is room for
    /// nearly every real body in a third of the memory of ``maxEntries(byteCount:)``.
    static func likelyEntries(byteCount: Int) -> Int { min(maxEntries(byteCount: byteCount), byteCount / 6 + 64) }

    var root: Int { 0 }
}

/// Why a body is not valid JSON.
struct JSONError: Error, Sendable, CustomStringConvertible {
    var message: String
    var offset: Int

    var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension JSONTape {
    /// The recursive-descent validator that fills the tape. It reads the document through a
    /// pointer (every read is checked against `end` first); `origin` turns its positions into the
    /// document's indices for the tape.
    fileprivate struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let origin: Int
        let maxDepth: Int
        var index = 0
        let end: Int
        /// Where entries go, and how many there are.
        let entries: UnsafeMutableBufferPointer<Entry>
        private(set) var count = 0
        /// Whether parsing stopped because `entries` was full (the document may still be valid).
        private(set) var outOfRoom = false

        init(bytes: UnsafeBufferPointer<UInt8>, origin: Int, maxDepth: Int, entries: UnsafeMutableBufferPointer<Entry>) {
            self.bytes = bytes
            self.origin = origin
            self.maxDepth = maxDepth
            end = bytes.count
            self.entries = entries
        }

        /// Records a value whose subtree ends with it (a scalar); its `next` is the entry after it.
        mutating func append(_ kind: Kind, hasEscapes: Bool = false, start: Int, end: Int) throws(JSONError) {
            // Room of maxEntries(byteCount:) cannot run out; a smaller first guess can (the caller then
            // parses again), and a mistake in the bound is an error, never a stray write.
            guard count < entries.count else {
                outOfRoom = true
                throw fail("more values than the room reserved for them")
            }
            (entries.baseAddress.unsafelyUnwrapped + count).initialize(to: Entry(
                kind: kind, hasEscapes: hasEscapes, start: Int32(truncatingIfNeeded: origin + start),
                end: Int32(truncatingIfNeeded: origin + end), next: Int32(truncatingIfNeeded: count + 1)))
            count += 1
        }

        mutating func parseDocument() throws(JSONError) {
            skipWhitespace()
            try parseValue(depth: 0)
            skipWhitespace()
            if index != end { throw fail("unexpected data after the JSON value") }
        }

        func fail(_ message: String) -> JSONError { JSONError(message: message, offset: index) }

        mutating func skipWhitespace() {
            while index < end {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(JSONError) {
            guard index < end else { throw fail("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): try parseContainer(object: true, depth: depth + 1)
            case UInt8(ascii: "["): try parseContainer(object: false, depth: depth + 1)
            case UInt8(ascii: "\""): try parseString()
            case UInt8(ascii: "t"): try parseLiteral("true", kind: .true)
            case UInt8(ascii: "f"): try parseLiteral("false", kind: .false)
            case UInt8(ascii: "n"): try parseLiteral("null", kind: .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
            default: throw fail("unexpected character")
            }
        }

        mutating func parseContainer(object: Bool, depth: Int) throws(JSONError) {
            if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels") }
            let slot = count
            try append(object ? .object : .array, start: index, end: index)
            index += 1
            skipWhitespace()
            let close = UInt8(ascii: object ? "}" : "]")
            if index < end, bytes[index] == close {
                index += 1
            } else {
                while true {
                    if object {
                        guard index < end, bytes[index] == UInt8(ascii: "\"") else {
                            throw fail("expected a string key")
                        }
                        try parseString()
                        skipWhitespace()
                        guard index < end, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                        index += 1
                        skipWhitespace()
                    }
                    try parseValue(depth: depth)
                    skipWhitespace()
                    guard index < end else { throw fail("unexpected end of input") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        skipWhitespace()
                        continue
                    }
                    if bytes[index] == close {
                        index += 1
                        break
                    }
                    throw fail(object ? "expected ',' or '}'" : "expected ',' or ']'")
                }
            }
            entries[slot].end = Int32(truncatingIfNeeded: origin + index)
            entries[slot].next = Int32(truncatingIfNeeded: count)
        }

        mutating func parseString() throws(JSONError) {
            let start = index
            index += 1
            var escapes = false
            while true {
                skipPlainStringBytes()
                guard index < end else { throw fail("unterminated string") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    break
                } else if byte == UInt8(ascii: "\\") {
                    escapes = true
                    try skipEscape()
                } else if byte < 0x20 {
                    throw fail("control character in string")
                } else if byte < 0x80 {
                    index += 1
                } else {
                    try skipUTF8Sequence()
                }
            }
            try append(.string, hasEscapes: escapes, start: start, end: index)
        }

        /// Skips string bytes that need no attention (printable ASCII other than `"` and `\\`),
        /// eight at a time, up to the first byte that does: most of a payload's strings are such runs.
        mutating func skipPlainStringBytes() {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let last = end - 8
            guard index <= last, let base = bytes.baseAddress else { return }
            let raw = UnsafeRawPointer(base)
            var position = index
            defer { index = position }
            while position <= last {
                let word = raw.loadUnaligned(fromByteOffset: position, as: UInt64.self)
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                // A lane is flagged when it is zero (quote, backslash), below 0x20, or non-ASCII.
                let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                    | ((word &- ones &* 0x20) & ~word) | word
                let flagged = special & highs
                if flagged != 0 {
                    // Lanes after the first flagged one may be false positives; the first is exact.
                    position += flagged.trailingZeroBitCount >> 3
                    return
                }
                position += 8
            }
        }

        mutating func skipEscape() throws(JSONError) {
            index += 1
            guard index < end else { throw fail("unterminated escape") }
            switch bytes[index] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                 UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                index += 1
            case UInt8(ascii: "u"):
                guard index + 4 < end else { throw fail("short \\u escape") }
                for offset in 1...4 where hexValue(bytes[index + offset]) == nil {
                    throw fail("bad \\u escape")
                }
                index += 5
            default:
                throw fail("bad escape")
            }
        }

        /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates, ≤ U+10FFFF).
        mutating func skipUTF8Sequence() throws(JSONError) {
            let lead = bytes[index]
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: throw fail("invalid UTF-8")
            }
            guard index + length <= end else { throw fail("truncated UTF-8") }
            let second = bytes[index + 1]
            guard second >= lower, second <= upper else { throw fail("invalid UTF-8") }
            if length > 2 {
                for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 {
                    throw fail("invalid UTF-8")
                }
            }
            index += length
        }

        mutating func parseLiteral(_ text: StaticString, kind: Kind) throws(JSONError) {
            let start = index
            let length = text.utf8CodeUnitCount
            guard index + length <= end else { throw fail("invalid literal") }
            let literal = UnsafeBufferPointer(start: text.utf8Start, count: length)
            for offset in 0..<length where bytes[index + offset] != literal[offset] {
                throw fail("invalid literal")
            }
            index += length
            try append(kind, start: start, end: index)
        }

        mutating func parseNumber() throws(JSONError) {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end, isDigit(bytes[index]) else { throw fail("invalid number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < end, isDigit(bytes[index]) { index += 1 }
            }
            if index < end, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < end, isDigit(bytes[index]) else { throw fail("invalid number") }
                while index < end, isDigit(bytes[index]) { index += 1 }
            }
            if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard index < end, isDigit(bytes[index]) else { throw fail("invalid number") }
                while index < end, isDigit(bytes[index]) { index += 1 }
            }
            try append(.number, start: start, end: index)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    }
}

func hexValue(_ byte: UInt8) -> UInt32? {
    HexDigit.value(byte).map(UInt32.init)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Walking a ``JSONTape``: members, elements, decoded strings and raw bytes.
extension JSONTape {
    func kind(_ index: Int) -> Kind { entries[index].kind }

    /// The value's bytes exactly as sent.
    func raw(_ index: Int) -> ArraySlice<UInt8> {
        let entry = entries[index]
        return bytes[Int(entry.start)..<Int(entry.end)]
    }

    /// The value's bytes exactly as sent, read in place from `document` (the tape's `bytes` through
    /// `withUnsafeBufferPointer`): writing them takes no reference on the buffer.
    func raw(_ index: Int, in document: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let entry = entries[index]
        let origin = bytes.startIndex
        return UnsafeBufferPointer(rebasing: document[(Int(entry.start) - origin)..<(Int(entry.end) - origin)])
    }

    /// How many bytes the value takes as sent (a string's include its quotes).
    func byteCount(_ index: Int) -> Int {
        let entry = entries[index]
        return Int(entry.end) - Int(entry.start)
    }

    /// Whether a string entry holds an escape (its text must be decoded, ``stringBytes(_:)``).
    func hasEscapes(_ index: Int) -> Bool { entries[index].hasEscapes }

    /// The text of a string entry without escapes (its bytes between the quotes), read in place.
    func unescapedString(_ index: Int, in document: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let value = raw(index, in: document)
        return UnsafeBufferPointer(rebasing: value[(value.startIndex + 1)..<(value.endIndex - 1)])
    }

    /// `(key entry, value entry)` pairs of an object, in document order, walked without allocating.
    func members(of object: Int) -> Members {
        Members(entries: entries, first: object + 1, end: Int(entries[object].next))
    }

    /// The members of one object: a sequence over the tape's entries.
    struct Members: Sequence, IteratorProtocol {
        fileprivate let entries: [Entry]
        fileprivate var child: Int
        fileprivate let end: Int

        fileprivate init(entries: [Entry], first: Int, end: Int) {
            self.entries = entries
            child = first
            self.end = end
        }

        mutating func next() -> (key: Int, value: Int)? {
            guard child < end else { return nil }
            let key = child
            child = Int(entries[key + 1].next)
            return (key, key + 1)
        }
    }

    /// Element entries of an array, in order.
    func elements(of array: Int) -> [Int] {
        var result: [Int] = []
        var child = array + 1
        let end = Int(entries[array].next)
        while child < end {
            result.append(child)
            child = Int(entries[child].next)
        }
        return result
    }

    /// The UTF-8 bytes of a string value with escapes resolved.
    func stringBytes(_ index: Int) -> ArraySlice<UInt8> {
        let entry = entries[index]
        let inner = bytes[Int(entry.start) + 1..<Int(entry.end) - 1]
        guard entry.hasEscapes else { return inner }
        return ArraySlice(Self.unescape(inner))
    }

    /// Hands a string value's UTF-8 bytes (escapes resolved) to `body`: in place, without a reference
    /// taken on the document, unless the string holds escapes (then a decoded copy).
    func withStringBytes<Result>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        guard !entries[index].hasEscapes else { return stringBytes(index).withUnsafeBufferPointer(body) }
        return bytes.withUnsafeBufferPointer { body(unescapedString(index, in: $0)) }
    }

    func string(_ index: Int) -> String {
        String(decoding: stringBytes(index), as: UTF8.self)
    }

    /// Whether a string entry equals an ASCII literal (keys are compared without decoding).
    func stringEquals(_ index: Int, _ literal: StaticString) -> Bool {
        let entry = entries[index]
        if entry.hasEscapes { return string(index) == literal.description }
        let start = Int(entry.start) + 1
        let count = Int(entry.end) - 1 - start
        guard count == literal.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeBufferPointer { document in
            guard let base = document.baseAddress else { return false }
            return memcmp(base + (start - bytes.startIndex), literal.utf8Start, count) == 0
        }
    }

    /// Whether a string value holds a `\u` escape of a lone UTF-16 surrogate (`\ud83d` without its low half, or a low
    /// half alone): JSON lets it through, but it is not Unicode, and decoding makes it U+FFFD, so two such strings
    /// that differ only there decode the same.
    func holdsLoneSurrogate(_ index: Int) -> Bool {
        let entry = entries[index]
        guard entry.hasEscapes else { return false }
        let inner = bytes[Int(entry.start) + 1..<Int(entry.end) - 1]
        var index = inner.startIndex
        func unit(at offset: Int) -> UInt32? {
            guard offset + 6 <= inner.endIndex, inner[offset] == UInt8(ascii: "\\"), inner[offset + 1] == UInt8(ascii: "u")
            else { return nil }
            var value: UInt32 = 0
            for digit in inner[(offset + 2)..<(offset + 6)] { value = value << 4 | (hexValue(digit) ?? 0) }
            return value
        }
        while index < inner.endIndex {
            guard inner[index] == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            guard let value = unit(at: index) else {
                index += 2  // another escape (the parser checked its form)
                continue
            }
            index += 6
            if (0xDC00...0xDFFF).contains(value) { return true }
            guard (0xD800...0xDBFF).contains(value) else { continue }
            guard let low = unit(at: index), (0xDC00...0xDFFF).contains(low) else { return true }
            index += 6
        }
        return false
    }

    /// Resolves JSON escapes, including UTF-16 surrogate pairs; lone surrogates become U+FFFD.
    static func unescape(_ inner: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var index = inner.startIndex
        func hex4(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for offset in 0..<4 { value = value << 4 | (hexValue(inner[at + offset]) ?? 0) }
            return value
        }
        while index < inner.endIndex {
            let byte = inner[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            let escape = inner[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(index)
                index += 4
                if (0xD800...0xDBFF).contains(scalar), index + 6 <= inner.endIndex,
                   inner[index] == UInt8(ascii: "\\"), inner[index + 1] == UInt8(ascii: "u") {
                    let low = hex4(index + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                UTF8.encode(character) { out.append($0) }
            default: out.append(escape)
            }
        }
        return out
    }
}

/// Shortens byte-array statistics to at most 64 bytes while keeping them valid bounds.
///
/// Strings are cut at a UTF-8 code point boundary; an upper bound then has its last code point
/// incremented (skipping surrogates, dropping U+10FFFF), so it stays valid UTF-8 for Iceberg
/// readers that decode bounds as strings. Binary upper bounds increment their last byte below 0xFF.
enum BoundTruncation {
    /// Maximum bytes of a truncated bound, as parquet-java's `parquet.statistics.truncate.length` default.
    static let maxLength = 64

    static func lowerBound(_ value: [UInt8], isString: Bool) -> [UInt8] {
        guard value.count > maxLength else { return value }
        guard isString else { return Array(value[0..<maxLength]) }
        return Array(value[0..<codePointBoundary(value, atMost: maxLength)])
    }

    /// A value ≥ every value that has `value` as a prefix, at most ~64 bytes; nil when none exists.
    static func upperBound(_ value: [UInt8], isString: Bool) -> [UInt8]? {
        guard value.count > maxLength else { return value }
        if isString, let result = stringUpperBound(value) { return result }
        if isString, isValidUTF8(value) { return nil }
        var prefix = Array(value[0..<maxLength])
        while let last = prefix.last {
            if last < 0xFF {
                prefix[prefix.count - 1] = last + 1
                return prefix
            }
            prefix.removeLast()
        }
        return nil
    }

    /// The largest index ≤ `limit` that does not split a code point.
    static func codePointBoundary(_ value: [UInt8], atMost limit: Int) -> Int {
        var cut = Swift.min(limit, value.count)
        while cut > 0 && cut < value.count && value[cut] & 0xC0 == 0x80 {
            cut -= 1
        }
        return cut
    }

    private static func stringUpperBound(_ value: [UInt8]) -> [UInt8]? {
        let cut = codePointBoundary(value, atMost: maxLength)
        var scalars = Array(String(decoding: value[0..<cut], as: UTF8.self).unicodeScalars)
        guard isValidUTF8(Array(value[0..<cut])) else { return nil }
        while let last = scalars.popLast() {
            var next = last.value + 1
            if next >= 0xD800 && next <= 0xDFFF { next = 0xE000 }
            if let scalar = Unicode.Scalar(next) {
                scalars.append(scalar)
                var result: [UInt8] = []
                result.reserveCapacity(cut + 4)
                for s in scalars { result.append(contentsOf: String(s).utf8) }
                return result
            }
        }
        return nil
    }

    private static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}

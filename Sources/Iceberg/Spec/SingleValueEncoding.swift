/// Iceberg's single-value binary serialization for bounds: little-endian numbers, UTF-8 strings.
///
/// See <https://iceberg.apache.org/spec/#appendix-d-single-value-serialization>. Timestamps and `timestamptz`
/// are `long` microseconds since the epoch; dates are `int` days.
public enum SingleValueEncoding {
    /// 4 bytes, little-endian.
    public static func int(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// The value of 4 little-endian bytes; nil for any other length.
    public static func decodeInt(_ bytes: [UInt8]) -> Int32? {
        guard bytes.count == 4 else { return nil }
        return Int32(bitPattern: bytes.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    /// 8 bytes, little-endian.
    public static func long(_ value: Int64) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// UTF-8 bytes, truncated to at most `maxBytes` on a character boundary (a lower bound stays a lower bound).
    public static func stringLowerBound(_ value: String, maxBytes: Int = 64) -> [UInt8] {
        var result: [UInt8] = []
        for scalar in value.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if result.count + bytes.count > maxBytes { break }
            result += bytes
        }
        return result
    }

    /// UTF-8 bytes, truncated to at most `maxBytes` with the last kept code point incremented so the result
    /// stays an upper bound; nil when no such bound exists within the limit.
    public static func stringUpperBound(_ value: String, maxBytes: Int = 64) -> [UInt8]? {
        let bytes = Array(value.utf8)
        if bytes.count <= maxBytes { return bytes }
        let prefix = String(decoding: stringLowerBound(value, maxBytes: maxBytes), as: UTF8.self)
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if (0xD800...0xDFFF).contains(next) { next = 0xE000 }
            guard let scalar = Unicode.Scalar(next) else { continue }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            view.append(scalar)
            let encoded = Array(String(view).utf8)
            if encoded.count <= maxBytes { return encoded }
        }
        return nil
    }
}

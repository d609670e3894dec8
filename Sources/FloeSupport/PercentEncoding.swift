/// RFC 3986 percent-encoding: every byte outside the unreserved set `A-Z a-z 0-9 - . _ ~` becomes
/// `%XX` (uppercase hex), as SigV4 canonical URIs and Iceberg partition paths both require; and its decoding.
package enum PercentEncoding {
    /// `text` percent-encoded; `/` kept as is when `keepingSlashes`.
    package static func encode(_ text: String, keepingSlashes: Bool = false) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if unreserved[Int(byte)] || (keepingSlashes && byte == UInt8(ascii: "/")) {
                result.append(byte)
            } else {
                result += [UInt8(ascii: "%"), upperHex[Int(byte >> 4)], upperHex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// How many bytes ``encode(_:keepingSlashes:)`` writes for `bytes` (slashes encoded).
    package static func encodedCount(_ bytes: some Sequence<UInt8>) -> Int {
        bytes.reduce(0) { $0 + (unreserved[Int($1)] ? 1 : 3) }
    }

    /// `bytes` with each `%XX` (either case of hex) replaced by its byte; a `%` not followed by two hex digits is
    /// kept as it is. The result need not be UTF-8: the caller decides.
    package static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(bytes)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = HexDigit.value(bytes[index + 1]), let low = HexDigit.value(bytes[index + 2]) {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return decoded
    }

    private static let upperHex = Array("0123456789ABCDEF".utf8)
    /// RFC 3986 unreserved characters, by byte value.
    private static let unreserved: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8 { table[Int(byte)] = true }
        return table
    }()
}

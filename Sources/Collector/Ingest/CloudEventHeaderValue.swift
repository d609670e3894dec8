import FloeSupport

/// The value of a binary-mode `ce-*` header as the CloudEvents HTTP binding decodes it (its §3.1.3.2): a
/// double-quoted string is unquoted first (older senders), then one round of percent-decoding, whose bytes must be
/// UTF-8. A `%` not followed by two hex digits is kept as it is, so one stray `%` does not leave every other escape
/// of the value undecoded.
enum CloudEventHeaderValue {
    /// The decoded bytes, or nil when the percent-decoded bytes are not UTF-8 (`%C0%A0`, `%FF`).
    static func decode(_ value: String) -> [UInt8]? {
        // Most values have nothing to undo, and a String is UTF-8 already.
        if !value.utf8.contains(UInt8(ascii: "%")) && value.utf8.first != UInt8(ascii: "\"") { return Array(value.utf8) }
        let decoded = PercentEncoding.decode(unquoted(Array(value.utf8)))
        return String(validating: decoded, as: UTF8.self) == nil ? nil : decoded
    }

    /// A quoted-string (RFC 7230 §3.2.6) without its quotes and backslash escapes; anything else as it is.
    private static func unquoted(_ bytes: [UInt8]) -> [UInt8] {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        guard bytes.count >= 2, bytes.first == quote, bytes.last == quote else { return bytes }
        var result: [UInt8] = []
        var index = 1
        while index < bytes.count - 1 {
            if bytes[index] == backslash {
                // `"abc\"`: the closing quote is escaped, so this is no quoted-string; taken as sent.
                guard index + 1 < bytes.count - 1 else { return bytes }
                result.append(bytes[index + 1])
                index += 2
            } else if bytes[index] == quote {
                return bytes  // a quote inside that is not escaped: not one quoted-string, so taken as sent
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }
}

import Foundation

/// `Idempotency-Key` values (UUIDv7, RFC 9562) and the server's `idempotency-key-lifetime` (an ISO-8601
/// duration such as `PT30M`).
enum IdempotencyKey {
    /// The lifetime assumed when the server's value cannot be parsed: 30 minutes.
    static let fallbackLifetime: Duration = .seconds(30 * 60)

    /// A new UUIDv7: 48 bits of Unix milliseconds, version 7, 74 random bits, variant 0b10; lower-case.
    static func make(now: Date = Date()) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in 6..<16 { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - UInt64(index)))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let hex = bytes.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }

    /// The duration of `PnDTnHnMnS`-style text (weeks, days, hours, minutes and seconds, fractions of seconds
    /// allowed); nil when it is not such a duration or is not positive.
    static func lifetime(parsing text: String) -> Duration? {
        var rest = Substring(text.uppercased())
        guard rest.hasPrefix("P") else { return nil }
        rest = rest.dropFirst()
        var seconds = 0.0
        var inTime = false
        var number = ""
        var parsedAny = false
        for character in rest {
            switch character {
            case "T":
                guard number.isEmpty, !inTime else { return nil }
                inTime = true
            case "0"..."9", ".", ",":
                number.append(character == "," ? "." : character)
            default:
                guard let value = Double(number) else { return nil }
                let unit: Double
                switch (character, inTime) {
                case ("W", false): unit = 7 * 86_400
                case ("D", false): unit = 86_400
                case ("H", true): unit = 3600
                case ("M", true): unit = 60
                case ("S", true): unit = 1
                default: return nil
                }
                seconds += value * unit
                number = ""
                parsedAny = true
            }
        }
        guard parsedAny, number.isEmpty, seconds > 0 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}

import FloeSupport
/// RFC 3339 / ISO 8601 timestamps to and from microseconds since the Unix epoch (UTC).
enum Timestamp {
    /// The times Floe stores, 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z: the years RFC 3339 and
    /// the `YYYY-MM-DD-HH` hour labels of partition paths can write (and ``hours(fromLabel:)`` read back).
    static let storable: ClosedRange<Int64> = -62_167_219_200_000_000 ... 253_402_300_799_999_999

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM]` (a space may replace `T`; no
    /// zone means UTC). Fractions beyond microseconds are truncated. `nil` when malformed, or when an
    /// offset moves the time out of ``storable``.
    static func parse(_ text: some Collection<UInt8>) -> Int64? {
        if let parsed = text.withContiguousStorageIfAvailable({ parse(bytes: $0) }) { return parsed }
        return Array(text).withUnsafeBufferPointer { parse(bytes: $0) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        func digits(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<count {
                let byte = bytes[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            index += count
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
              let day = digits(2) else { return nil }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: "t")
                || bytes[index] == UInt8(ascii: " ") else { return nil }
        index += 1
        guard let hour = digits(2), expect(UInt8(ascii: ":")), let minute = digits(2), expect(UInt8(ascii: ":")),
              let second = digits(2) else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 61 else { return nil }
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",") {
            index += 1
            var scale: Int64 = 100_000
            var count = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                micros += Int64(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
                count += 1
            }
            if count == 0 { return nil }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let offsetHours = digits(2) else { return nil }
                _ = expect(UInt8(ascii: ":"))
                guard let offsetMinutes = digits(2), offsetHours < 24, offsetMinutes < 60 else { return nil }
                offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let result = seconds * 1_000_000 + micros
        return storable.contains(result) ? result : nil
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Whole hours since the epoch (Iceberg's `hour` transform), rounding toward negative infinity.
    static func hours(_ micros: Int64) -> Int32 {
        let perHour: Int64 = 3_600_000_000
        let floored = micros >= 0 ? micros / perHour : (micros - perHour + 1) / perHour
        return Int32(clamping: floored)
    }

    /// `YYYY-MM-DD-HH` of an hour count, as Iceberg renders an hour partition.
    static func hourLabel(_ hours: Int32) -> String {
        let hoursValue = Int64(hours)
        let days = hoursValue >= 0 ? hoursValue / 24 : (hoursValue - 23) / 24
        let hourOfDay = hoursValue - days * 24
        let date = CivilDate(daysSinceEpoch: days)
        guard (0...9999).contains(date.year) else {
            return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))-\(pad(hourOfDay, 2))"
        }
        // 13 ASCII bytes: a small string, built without intermediate allocations.
        return String(unsafeUninitializedCapacity: 13) { buffer in
            func put(_ value: Int64, _ width: Int, at offset: Int) {
                var rest = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(48 + rest % 10)
                    rest /= 10
                }
            }
            put(date.year, 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(date.month, 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(date.day, 2, at: 8)
            buffer[10] = UInt8(ascii: "-")
            put(hourOfDay, 2, at: 11)
            return 13
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` of a time in microseconds since the epoch.
    static func rfc3339(_ micros: Int64) -> String {
        let perDay: Int64 = 86_400_000_000
        let days = micros >= 0 ? micros / perDay : (micros - perDay + 1) / perDay
        let inDay = micros - days * perDay
        let date = CivilDate(daysSinceEpoch: days)
        let seconds = inDay / 1_000_000
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))T\(pad(seconds / 3600, 2)):"
            + "\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(inDay % 1_000_000, 6))Z"
    }

    /// Parses a `YYYY-MM-DD-HH` label back to an hour count.
    static func hours(fromLabel label: Substring) -> Int32? {
        let parts = label.split(separator: "-")
        guard parts.count == 4, let year = Int64(parts[0]), let month = Int64(parts[1]),
              let day = Int64(parts[2]), let hour = Int64(parts[3]) else { return nil }
        return Int32(clamping: CivilDate(year: year, month: month, day: day).daysSinceEpoch * 24 + hour)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

import Buffer
import Foundation

/// A type a setting can hold: read from text (environment, flags) or from the config file.
protocol SettingValue: Sendable {
    static func parse(_ input: SettingInput) throws -> Self
    /// `value` added to `existing` (lists); other types are replaced.
    static func appending(_ value: Self, to existing: Self) -> Self
    /// The value as the documentation shows it.
    var settingDescription: String { get }
}

extension SettingValue {
    static func appending(_ value: Self, to existing: Self) -> Self { value }
    var settingDescription: String { "\(self)" }
}

extension String: SettingValue {
    var settingDescription: String { isEmpty ? "none" : self }

    static func parse(_ input: SettingInput) throws -> String {
        switch input {
        case .text(let text, _, _): return text
        case .json(.string(let text), _): return text
        case .json: throw input.error("a string")
        }
    }
}

extension Int: SettingValue {
    static func parse(_ input: SettingInput) throws -> Int {
        switch input {
        case .text(let text, _, _):
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw input.error("an integer") }
            return value
        case .json(.int(let number), _):
            guard let value = Int(exactly: number) else { throw input.error("an integer") }
            return value
        case .json: throw input.error("an integer")
        }
    }
}

extension Int32: SettingValue {
    static func parse(_ input: SettingInput) throws -> Int32 {
        guard let value = Int32(exactly: try Int.parse(input)) else { throw input.error("a 32-bit integer") }
        return value
    }
}

extension Double: SettingValue {
    static func parse(_ input: SettingInput) throws -> Double {
        switch input {
        case .text(let text, _, _):
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw input.error("a number")
            }
            return value
        case .json(.int(let number), _): return Double(number)
        case .json(.double(let number), _): return number
        case .json: throw input.error("a number")
        }
    }

    var settingDescription: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

extension Bool: SettingValue {
    /// `1`, `true`, `yes`, `on` and `0`, `false`, `no`, `off`, in any case.
    static func parse(_ input: SettingInput) throws -> Bool {
        switch input {
        case .text(let text, _, _):
            switch text.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw input.error("true or false")
            }
        case .json(.bool(let value), _): return value
        case .json: throw input.error("true or false")
        }
    }
}

extension Array: SettingValue where Element == String {
    /// Text is comma-separated (entries trimmed, empty ones left out); the file gives an array of strings.
    static func parse(_ input: SettingInput) throws -> [String] {
        switch input {
        case .text(let text, _, _):
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .json(.array(let values), _):
            return try values.map {
                guard case .string(let text) = $0 else { throw input.error("an array of strings") }
                return text
            }
        case .json: throw input.error("an array of strings")
        }
    }

    static func appending(_ value: [String], to existing: [String]) -> [String] {
        existing + value.filter { !existing.contains($0) }
    }

    var settingDescription: String { isEmpty ? "none" : joined(separator: ",") }
}

extension Optional: SettingValue where Wrapped: SettingValue {
    /// Empty text and a `null` in the file leave the setting unset.
    static func parse(_ input: SettingInput) throws -> Wrapped? {
        switch input {
        case .text("", _, _), .json(.null, _), .json(.string(""), _): return nil
        default: return try Wrapped.parse(input)
        }
    }

    var settingDescription: String { map(\.settingDescription) ?? "none" }
}

extension BufferConfiguration.Durability: SettingValue {
    static func parse(_ input: SettingInput) throws -> Self {
        guard let value = Self(rawValue: try String.parse(input).lowercased()) else { throw input.error("fsync or os") }
        return value
    }

    var settingDescription: String { rawValue }
}

extension PrivacyRules.ClientIP: SettingValue {
    static func parse(_ input: SettingInput) throws -> Self {
        guard let value = Self(rawValue: try String.parse(input).lowercased()) else {
            throw input.error("keep, truncate or drop")
        }
        return value
    }

    var settingDescription: String { rawValue }
}

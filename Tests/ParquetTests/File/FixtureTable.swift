import Foundation
import Parquet

/// A table for reader fixtures that records, per column, a kind name and the expected JSON values.
///
/// Kinds: `bool`, `i8`, `i16`, `i32`, `i64`, `u8`, `u16`, `u32`, `u64` (decimal string), `f32`, `f64`,
/// `str`, `bin` (hex), `ts` (epoch µs), `date` (epoch days), `uuid` (hex), `fixed5` (hex),
/// `dec9_2`, `dec18_4`, `dec38_10` (unscaled value as a decimal string), `list<K>`, `map<str,K>`
/// (maps as `[[key, value], …]`). Nulls are `nil`.
struct FixtureTable {
    var rows: Int
    var fields: [ParquetField] = []
    var columns: [ColumnData] = []
    var kinds: [String] = []
    var expected: [[Any?]] = []

    static let primitiveKinds = ["bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "str",
                                 "bin", "ts", "date", "uuid", "fixed5", "dec9_2", "dec18_4", "dec38_10"]

    static func parquetType(_ kind: String) -> ParquetType {
        switch kind {
        case "bool": .boolean
        case "i8": .integer(bitWidth: 8, isSigned: true)
        case "i16": .integer(bitWidth: 16, isSigned: true)
        case "i32": .integer(bitWidth: 32, isSigned: true)
        case "i64": .integer(bitWidth: 64, isSigned: true)
        case "u8": .integer(bitWidth: 8, isSigned: false)
        case "u16": .integer(bitWidth: 16, isSigned: false)
        case "u32": .integer(bitWidth: 32, isSigned: false)
        case "u64": .integer(bitWidth: 64, isSigned: false)
        case "f32": .float
        case "f64": .double
        case "str": .string
        case "bin": .binary
        case "ts": .timestampMicrosUTC
        case "date": .date
        case "uuid": .uuid
        case "fixed5": .fixedLenByteArray(length: 5)
        case "dec9_2": .decimal(precision: 9, scale: 2)
        case "dec18_4": .decimal(precision: 18, scale: 4)
        default: .decimal(precision: 38, scale: 10)
        }
    }

    /// Random values of a primitive kind; `nil` entries become nulls.
    static func randomValue(_ kind: String, _ random: inout SplitMix, strings: [String]) -> PrimitiveValue {
        let r = random.next()
        switch kind {
        case "bool": return .bool(r & 1 == 1)
        case "i8": return .int32(Int32(Int8(truncatingIfNeeded: r)))
        case "i16": return .int32(Int32(Int16(truncatingIfNeeded: r)))
        case "i32", "dec9_2":
            let v = Int32(truncatingIfNeeded: r)
            return .int32(kind == "dec9_2" ? v % 999_999_999 : v)
        case "u8": return .int32(Int32(UInt8(truncatingIfNeeded: r)))
        case "u16": return .int32(Int32(UInt16(truncatingIfNeeded: r)))
        case "u32": return .int32(Int32(bitPattern: UInt32(truncatingIfNeeded: r)))
        case "i64", "u64": return .int64(Int64(bitPattern: r))
        case "dec18_4": return .int64(Int64(bitPattern: r) % 999_999_999_999_999_999)
        case "date": return .int32(Int32(r % 40_000) - 10_000)
        case "ts": return .int64(Int64(bitPattern: r % 4_000_000_000_000_000) - 1_000_000_000_000_000)
        case "f32": return .float(Float(Int32(truncatingIfNeeded: r)) / 1024)
        case "f64": return .double(Double(Int64(bitPattern: r)) / 1e6)
        case "str", "bin": return .bytes(Array(strings[Int(r % UInt64(strings.count))].utf8))
        case "uuid": return .bytes((0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        case "fixed5": return .bytes((0..<5).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        default:
            // |value| < 2^126 < 10^38: fits DECIMAL(38, 10).
            let high = Int64(bitPattern: random.next()) >> 2
            let value = Int128(high) << 64 | Int128(random.next())
            return .int128(value)
        }
    }

    enum PrimitiveValue {
        case bool(Bool)
        case int32(Int32)
        case int64(Int64)
        case float(Float)
        case double(Double)
        case bytes([UInt8])
        case int128(Int128)
    }

    /// Column data of one kind from its non-null values and validity, with the JSON of every entry.
    static func column(_ kind: String, _ values: [PrimitiveValue?], required: Bool) -> (ColumnData, [Any?]) {
        let validity: [Bool]? = required ? nil : values.map { $0 != nil }
        let dense = values.compactMap { $0 }
        let json: [Any?] = values.map { $0.map { Self.json(kind, $0) } }
        switch kind {
        case "bool":
            return (.boolean(dense.map { if case .bool(let v) = $0 { v } else { false } }, validity: validity), json)
        case "i8", "i16", "i32", "u8", "u16", "u32", "date", "dec9_2":
            return (.int32(dense.map { if case .int32(let v) = $0 { v } else { 0 } }, validity: validity), json)
        case "i64", "u64", "ts", "dec18_4":
            return (.int64(dense.map { if case .int64(let v) = $0 { v } else { 0 } }, validity: validity), json)
        case "f32": return (.float(dense.map { if case .float(let v) = $0 { v } else { 0 } }, validity: validity), json)
        case "f64": return (.double(dense.map { if case .double(let v) = $0 { v } else { 0 } }, validity: validity), json)
        case "str", "bin":
            var buffer = ByteArrayBuffer()
            for value in dense { if case .bytes(let v) = value { buffer.append(v) } }
            return (.byteArray(buffer, validity: validity), json)
        case "uuid", "fixed5":
            var bytes: [UInt8] = []
            for value in dense { if case .bytes(let v) = value { bytes += v } }
            return (.fixedLenByteArray(bytes: bytes, width: kind == "uuid" ? 16 : 5, validity: validity), json)
        default:
            var bytes: [UInt8] = []
            for value in dense {
                guard case .int128(let v) = value else { continue }
                for shift in stride(from: 120, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> shift)) }
            }
            return (.fixedLenByteArray(bytes: bytes, width: 16, validity: validity), json)
        }
    }

    static func json(_ kind: String, _ value: PrimitiveValue) -> Any {
        switch value {
        case .bool(let v): return v
        case .int32(let v):
            switch kind {
            case "u32": return Int(UInt32(bitPattern: v))
            case "dec9_2": return String(v)
            default: return Int(v)
            }
        case .int64(let v):
            switch kind {
            case "u64": return String(UInt64(bitPattern: v))
            case "dec18_4": return String(v)
            default: return Int(v)
            }
        case .float(let v): return Double(v)
        case .double(let v): return v
        case .bytes(let v):
            if kind == "str" { return String(decoding: v, as: UTF8.self) }
            return v.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                .joined()
        case .int128(let v): return String(v)
        }
    }

    mutating func addPrimitive(_ name: String, id: Int32, kind: String, required: Bool, values: [PrimitiveValue?]) {
        let (data, json) = Self.column(kind, values, required: required)
        fields.append(ParquetField(name: name, fieldId: id, type: Self.parquetType(kind), isRequired: required))
        columns.append(data)
        kinds.append(kind)
        expected.append(json)
    }

    /// A list column: `lists[row]` nil for a null list, else its elements (nil for null elements).
    mutating func addList(_ name: String, id: Int32, elementKind: String, required: Bool,
                          elementRequired: Bool, lists: [[PrimitiveValue?]?]) {
        var offsets: [Int32] = [0]
        var flat: [PrimitiveValue?] = []
        for list in lists {
            flat += list ?? []
            offsets.append(Int32(flat.count))
        }
        let (elements, elementJSON) = Self.column(elementKind, flat, required: elementRequired)
        var json: [Any?] = []
        var cursor = 0
        for list in lists {
            guard let list else { json.append(nil); continue }
            json.append(Array(elementJSON[cursor..<(cursor + list.count)]))
            cursor += list.count
        }
        fields.append(ParquetField(name: name, fieldId: id, type: .list(element: ParquetField(
            name: "element", fieldId: id + 1, type: Self.parquetType(elementKind), isRequired: elementRequired)),
            isRequired: required))
        columns.append(.list(offsets: offsets, validity: required ? nil : lists.map { $0 != nil }, elements: elements))
        kinds.append("list<\(elementKind)>")
        expected.append(json)
    }

    /// A map<string, K> column: `maps[row]` nil for a null map, else its (key, value) pairs.
    mutating func addMap(_ name: String, id: Int32, valueKind: String, required: Bool,
                         maps: [[(String, PrimitiveValue?)]?]) {
        var offsets: [Int32] = [0]
        var keys = ByteArrayBuffer()
        var flat: [PrimitiveValue?] = []
        var json: [Any?] = []
        for map in maps {
            guard let map else {
                json.append(nil)
                offsets.append(Int32(keys.count))
                continue
            }
            var pairs: [Any?] = []
            for (key, value) in map {
                keys.append(Array(key.utf8))
                flat.append(value)
                pairs.append([key, value.map { Self.json(valueKind, $0) }] as [Any?])
            }
            json.append(pairs)
            offsets.append(Int32(keys.count))
        }
        let (values, _) = Self.column(valueKind, flat, required: false)
        fields.append(ParquetField(name: name, fieldId: id, type: .map(
            key: ParquetField(name: "key", fieldId: id + 1, type: .string, isRequired: true),
            value: ParquetField(name: "value", fieldId: id + 2, type: Self.parquetType(valueKind), isRequired: false)),
            isRequired: required))
        columns.append(.map(offsets: offsets, validity: required ? nil : maps.map { $0 != nil },
                            keys: .byteArray(keys, validity: nil), values: values))
        kinds.append("map<str,\(valueKind)>")
        expected.append(json)
    }

    var schema: ParquetSchema { ParquetSchema(fields: fields) }

    /// `{"rows", "columns": [{"name", "field_id", "kind", "required", "values"}]}`.
    func document(options: [String: Any]) -> [String: Any] {
        var described: [[String: Any]] = []
        for (index, field) in fields.enumerated() {
            described.append([
                "name": field.name, "field_id": Int(field.fieldId ?? -1), "kind": kinds[index],
                "required": field.isRequired, "values": expected[index].map(jsonValue),
            ])
        }
        return ["rows": rows, "columns": described, "options": options]
    }
}

/// Replaces nils, at any depth, with `NSNull` so that `JSONSerialization` accepts the value.
func jsonValue(_ value: Any?) -> Any {
    guard let value else { return NSNull() }
    if let array = value as? [Any?] { return array.map(jsonValue) }
    return value
}

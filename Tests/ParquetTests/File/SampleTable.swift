import Parquet

/// A deterministic table with every supported type, used by the smoke and reader fixture tests.
///
/// Each column keeps its expected values as JSON-ready arrays (`nil` for null) so that the
/// fixture checker can compare what readers return with what was written.
struct SampleTable {
    var schema: ParquetSchema
    var columns: [ColumnData]
    var rowCount: Int
    /// Column name → one JSON value per row.
    var expected: [String: [Any?]]

    static let strings: [String] = [
        "", "a", "hello", "héllo wörld", "日本語テキスト", "emoji 😀🎉", "zzz",
        String(repeating: "x", count: 62) + "😀 crosses the 64-byte cut",
        String(repeating: "é", count: 40),
        String(repeating: "\u{10FFFF}", count: 20),
        String(repeating: "long text ", count: 120),
    ]

    static func make(rows: Int, seed: UInt64 = 42) -> SampleTable {
        var random = SplitMix(state: seed)
        var expected: [String: [Any?]] = [:]
        var fields: [ParquetField] = []
        var columns: [ColumnData] = []

        func stringColumn(_ name: String, id: Int32, required: Bool, binary: Bool = false,
                          value: (Int) -> String?) {
            var buffer = ByteArrayBuffer()
            var validity: [Bool] = []
            var values: [Any?] = []
            for row in 0..<rows {
                let v = value(row)
                validity.append(v != nil)
                if let v {
                    buffer.append(Array(v.utf8))
                    values.append(binary ? Array(v.utf8).map { String(format2($0)) }.joined() : v)
                } else {
                    values.append(nil)
                }
            }
            fields.append(ParquetField(name: name, fieldId: id, type: binary ? .binary : .string, isRequired: required))
            columns.append(.byteArray(buffer, validity: required ? nil : validity))
            expected[name] = values
        }

        stringColumn("req_string", id: 1, required: true) { "id-\($0)-\($0 &* 2654435761 % 1000003)" }
        let pick = (0..<rows).map { _ in Int(random.next() % UInt64(strings.count + 2)) }
        stringColumn("opt_string", id: 2, required: false) { pick[$0] < strings.count ? strings[pick[$0]] : nil }
        stringColumn("all_null", id: 3, required: false) { _ in nil }
        stringColumn("low_card", id: 4, required: true) { ["track", "page", "identify", "screen"][$0 % 4] }
        let longTexts = [String(repeating: "é", count: 40), String(repeating: "x", count: 62) + "😀 cut",
                         String(repeating: "😀", count: 20) + " tail", "short"]
        stringColumn("long_text", id: 18, required: true) { longTexts[$0 % longTexts.count] + "\($0 % 10)" }
        stringColumn("bin", id: 5, required: false, binary: true) { $0 % 3 == 0 ? nil : "b\($0 % 17)" }

        func numeric<T>(_ name: String, id: Int32, type: ParquetType, required: Bool,
                        make: (Int) -> T?, json: (T) -> Any, wrap: ([T], [Bool]?) -> ColumnData) {
            var values: [T] = []
            var validity: [Bool] = []
            var expect: [Any?] = []
            for row in 0..<rows {
                if let v = make(row) {
                    values.append(v)
                    validity.append(true)
                    expect.append(json(v))
                } else {
                    validity.append(false)
                    expect.append(nil)
                }
            }
            fields.append(ParquetField(name: name, fieldId: id, type: type, isRequired: required))
            columns.append(wrap(values, required ? nil : validity))
            expected[name] = expect
        }

        numeric("flag", id: 6, type: .boolean, required: false, make: { $0 % 5 == 0 ? nil : $0 % 3 == 0 },
                json: { $0 }, wrap: { .boolean($0, validity: $1) })
        numeric("i32", id: 7, type: .int32, required: true, make: { Int32(truncatingIfNeeded: $0 &* 7919) - 500_000 },
                json: { Int($0) }, wrap: { .int32($0, validity: $1) })
        numeric("i64", id: 8, type: .int64, required: false,
                make: { $0 % 4 == 1 ? nil : Int64($0) * 1_000_000_007 - 3_000_000_000 },
                json: { Int($0) }, wrap: { .int64($0, validity: $1) })
        numeric("f32", id: 9, type: .float, required: false, make: { $0 % 6 == 2 ? nil : Float($0) * 0.25 - 10 },
                json: { Double($0) }, wrap: { .float($0, validity: $1) })
        numeric("f64", id: 10, type: .double, required: true, make: { Double($0) / 3 - 7.5 },
                json: { $0 }, wrap: { .double($0, validity: $1) })
        numeric("ts", id: 11, type: .timestampMicrosUTC, required: true,
                make: { 1_700_000_000_000_000 + Int64($0) * 1_234_567 }, json: { Int($0) },
                wrap: { .int64($0, validity: $1) })
        numeric("day", id: 12, type: .date, required: false, make: { $0 % 9 == 3 ? nil : Int32(19_000 + $0 % 400) },
                json: { Int($0) }, wrap: { .int32($0, validity: $1) })

        // map<string, string?>: null maps, empty maps, many entries, null values.
        var mapOffsets: [Int32] = [0]
        var mapValidity: [Bool] = []
        var keys = ByteArrayBuffer()
        var mapValues = ByteArrayBuffer()
        var mapValueValidity: [Bool] = []
        var mapExpected: [Any?] = []
        for row in 0..<rows {
            if row % 7 == 0 {
                mapValidity.append(false)
                mapExpected.append(nil)
            } else {
                mapValidity.append(true)
                let count = row % 7 == 1 ? 0 : row % 5 + (row % 50 == 2 ? 100 : 0)
                var pairs: [[Any?]] = []
                for entry in 0..<count {
                    let key = "k\(entry)"
                    keys.append(Array(key.utf8))
                    if (row + entry) % 4 == 0 {
                        mapValueValidity.append(false)
                        pairs.append([key, nil])
                    } else {
                        let value = entry == 1 ? "välue 😀 \(row)" : "v\(row)-\(entry)"
                        mapValues.append(Array(value.utf8))
                        mapValueValidity.append(true)
                        pairs.append([key, value])
                    }
                }
                mapExpected.append(pairs)
            }
            mapOffsets.append(Int32(keys.count))
        }
        fields.append(ParquetField(
            name: "attrs", fieldId: 13,
            type: .map(key: ParquetField(name: "key", fieldId: 14, type: .string, isRequired: true),
                       value: ParquetField(name: "value", fieldId: 15, type: .string, isRequired: false)),
            isRequired: false))
        columns.append(.map(offsets: mapOffsets, validity: mapValidity, keys: .byteArray(keys, validity: nil),
                            values: .byteArray(mapValues, validity: mapValueValidity)))
        expected["attrs"] = mapExpected

        // list<int64?>: null lists, empty lists, null elements.
        var listOffsets: [Int32] = [0]
        var listValidity: [Bool] = []
        var elements: [Int64] = []
        var elementValidity: [Bool] = []
        var listExpected: [Any?] = []
        for row in 0..<rows {
            if row % 6 == 0 {
                listValidity.append(false)
                listExpected.append(nil)
            } else {
                listValidity.append(true)
                let count = row % 6 == 1 ? 0 : row % 4 + 1
                var items: [Any?] = []
                for entry in 0..<count {
                    if (row + entry) % 5 == 0 {
                        elementValidity.append(false)
                        items.append(nil)
                    } else {
                        let v = Int64(row) * 100 + Int64(entry) - 50
                        elements.append(v)
                        elementValidity.append(true)
                        items.append(Int(v))
                    }
                }
                listExpected.append(items)
            }
            listOffsets.append(Int32(elementValidity.count))
        }
        fields.append(ParquetField(
            name: "nums", fieldId: 16,
            type: .list(element: ParquetField(name: "element", fieldId: 17, type: .int64, isRequired: false)),
            isRequired: false))
        columns.append(.list(offsets: listOffsets, validity: listValidity,
                             elements: .int64(elements, validity: elementValidity)))
        expected["nums"] = listExpected

        return SampleTable(schema: ParquetSchema(fields: fields), columns: columns, rowCount: rows, expected: expected)
    }
}

private func format2(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}

/// A small deterministic PRNG (SplitMix64) so fixtures are the same on every run.
struct SplitMix {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

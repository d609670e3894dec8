import Foundation
import Parquet
import Testing

/// Writes the files that `Tests/Interop/test_parquet_readers.py` reads back with pyarrow, DuckDB,
/// fastparquet, polars, pyiceberg and Spark, when `FLOE_PARQUET_FIXTURE_DIR` is set.
///
/// Each `NAME.parquet` has a `NAME.json` from `FixtureTable.document`: the expected value of every
/// row of every column. `random_*` files are the property-based part: random schemas, values and
/// writer options from a fixed seed.
@Suite("ParquetFixtures")
struct ParquetFixtures {
    static var directory: URL? {
        ProcessInfo.processInfo.environment["FLOE_PARQUET_FIXTURE_DIR"].map { URL(fileURLWithPath: $0) }
    }

    static let strings: [String] = [
        "", "a", "track", "page", "héllo wörld", "日本語テキスト", "emoji 😀🎉 𝄞", "zzz", "\u{10FFFF}\u{10FFFF}",
        String(repeating: "x", count: 62) + "😀 crosses the 64-byte cut",
        String(repeating: "long text ", count: 120),
    ]

    static func write(_ name: String, _ table: FixtureTable, options: WriterOptions,
                      describe: [String: Any] = [:]) throws {
        guard let directory else { return }
        let file = try ParquetFileWriter.write(schema: table.schema, columns: table.columns, rowCount: table.rows,
                                               options: options)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(file.bytes).write(to: directory.appendingPathComponent("\(name).parquet"))
        let json = try JSONSerialization.data(withJSONObject: table.document(options: describe), options: [.sortedKeys])
        try json.write(to: directory.appendingPathComponent("\(name).json"))
    }

    /// Every primitive kind (required and optional), all-null, lists and maps, with edge values.
    static func typedTable(rows: Int, seed: UInt64) -> FixtureTable {
        var random = SplitMix(state: seed)
        var table = FixtureTable(rows: rows)
        var id: Int32 = 1
        for kind in FixtureTable.primitiveKinds {
            let required = (0..<rows).map { _ in FixtureTable.randomValue(kind, &random, strings: strings) }
            table.addPrimitive("\(kind)_req", id: id, kind: kind, required: true, values: required)
            let optional: [FixtureTable.PrimitiveValue?] = (0..<rows).map { row in
                row % 3 == 1 ? nil : FixtureTable.randomValue(kind, &random, strings: strings)
            }
            table.addPrimitive("\(kind)_opt", id: id + 1, kind: kind, required: false, values: optional)
            table.addPrimitive("\(kind)_null", id: id + 2, kind: kind, required: false,
                               values: Array(repeating: nil, count: rows))
            id += 3
        }
        // Very long strings (100 KB) and 4-byte UTF-8, next to empty ones.
        table.addPrimitive("huge_str", id: id, kind: "str", required: false, values: (0..<rows).map { row in
            switch row % 4 {
            case 0 where row % 40 == 0: .bytes(Array((String(repeating: "😀", count: 25_000) + "\(row)").utf8))
            case 0, 1: .bytes([])
            case 2: nil
            default: .bytes(Array("𝄞\(row)".utf8))
            }
        })
        id += 1
        table.addList("ints", id: id, elementKind: "i64", required: false, elementRequired: false,
                      lists: (0..<rows).map { row in
                          row % 5 == 0 ? nil : (0..<(row % 4)).map { e in
                              (row + e) % 3 == 0 ? nil : FixtureTable.randomValue("i64", &random, strings: strings)
                          }
                      })
        id += 2
        table.addList("uuids", id: id, elementKind: "uuid", required: true, elementRequired: true,
                      lists: (0..<rows).map { row in
                          (0..<(row % 3)).map { _ in FixtureTable.randomValue("uuid", &random, strings: strings) }
                      })
        id += 2
        // Maps with 0 entries, many (2,000) entries, null maps and null values.
        table.addMap("attrs", id: id, valueKind: "str", required: false, maps: (0..<rows).map { row in
            if row % 6 == 0 { return nil }
            let count = row % 6 == 1 ? 0 : (row % 50 == 2 ? 2_000 : row % 4 + 1)
            return (0..<count).map { e in
                ("k\(e)", (row + e) % 4 == 0 ? nil : FixtureTable.randomValue("str", &random, strings: strings))
            }
        })
        id += 3
        table.addMap("decimals", id: id, valueKind: "dec38_10", required: false, maps: (0..<rows).map { row in
            row % 4 == 0 ? [] : [("d", FixtureTable.randomValue("dec38_10", &random, strings: strings))]
        })
        return table
    }

    static let codecs: [(String, CompressionCodec)] = [
        ("uncompressed", .uncompressed), ("snappy", .snappy), ("zstd1", .zstd(level: 1)),
        ("zstd3", .zstd(level: 3)), ("gzip", .gzip),
    ]

    @Test("typed tables are written with every codec", arguments: 0..<codecs.count)
    func typed(codecIndex: Int) throws {
        guard Self.directory != nil else { return }
        let (name, codec) = Self.codecs[codecIndex]
        var options = WriterOptions()
        options.codec = codec
        options.dataPageSize = 64 * 1024
        try Self.write("typed_\(name)", Self.typedTable(rows: 600, seed: 7), options: options)
    }

    @Test("a one-row table and a zero-row table are written")
    func tiny() throws {
        guard Self.directory != nil else { return }
        try Self.write("typed_one_row", Self.typedTable(rows: 1, seed: 1), options: WriterOptions())
        try Self.write("typed_zero_rows", Self.typedTable(rows: 0, seed: 1), options: WriterOptions())
    }

    /// A million rows in several row groups; the JSON holds no values: row `i` has `id` = i,
    /// `type` = null when i % 7 == 0 else ["track", "page", "identify", "screen"][i % 4],
    /// `small` = null when i % 11 == 0 else i % 65536 - 32768.
    @Test("a million-row table spans several row groups")
    func million() throws {
        guard let directory = Self.directory else { return }
        let rows = 1_000_000
        let names = ["track", "page", "identify", "screen"].map { Array($0.utf8) }
        var types = ByteArrayBuffer()
        var small: [Int32] = []
        for row in 0..<rows {
            if row % 7 != 0 { types.append(names[row % 4]) }
            if row % 11 != 0 { small.append(Int32(row % 65_536) - 32_768) }
        }
        let schema = ParquetSchema(fields: [
            ParquetField(name: "id", fieldId: 1, type: .int64, isRequired: true),
            ParquetField(name: "type", fieldId: 2, type: .string, isRequired: false),
            ParquetField(name: "small", fieldId: 3, type: .integer(bitWidth: 16, isSigned: true), isRequired: false),
        ])
        var options = WriterOptions()
        options.rowGroupSize = 400_000
        let file = try ParquetFileWriter.write(
            schema: schema,
            columns: [.int64((0..<Int64(rows)).map { $0 }, validity: nil),
                      .byteArray(types, validity: (0..<rows).map { $0 % 7 != 0 }),
                      .int32(small, validity: (0..<rows).map { $0 % 11 != 0 })],
            rowCount: rows, options: options)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(file.bytes).write(to: directory.appendingPathComponent("million_rows.parquet"))
    }

    /// Random schema, values and options for one seed: the property-based round trip.
    static func randomTable(seed: UInt64) -> (FixtureTable, WriterOptions, [String: Any]) {
        var random = SplitMix(state: seed &* 0x9E37_79B9 &+ 1)
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        let rows = pick([0, 1, 2, 17, 300, 2_500])
        var table = FixtureTable(rows: rows)
        let nullRates: [UInt64] = [0, 10, 50, 100]
        let alphabet = seed % 2 == 0 ? Self.strings : (0..<400).map { "v\($0)-ü" }
        var id: Int32 = 1
        for column in 0..<Int(1 + random.next() % 7) {
            let kind = pick(FixtureTable.primitiveKinds)
            let required = random.next() % 3 == 0
            let nullRate = required ? 0 : pick(nullRates)
            func value() -> FixtureTable.PrimitiveValue? {
                random.next() % 100 < nullRate ? nil : FixtureTable.randomValue(kind, &random, strings: alphabet)
            }
            switch random.next() % 4 {
            case 0:
                let elementRequired = random.next() % 2 == 0
                table.addList("c\(column)", id: id, elementKind: kind, required: required,
                              elementRequired: elementRequired, lists: (0..<rows).map { _ in
                                  if !required && random.next() % 100 < nullRate { return nil }
                                  return (0..<Int(random.next() % 5)).map { _ in
                                      elementRequired ? FixtureTable.randomValue(kind, &random, strings: alphabet) : value()
                                  }
                              })
                id += 2
            case 1:
                table.addMap("c\(column)", id: id, valueKind: kind, required: required, maps: (0..<rows).map { _ in
                    if !required && random.next() % 100 < nullRate { return nil }
                    return (0..<Int(random.next() % 4)).map { e in ("key\(e)", value()) }
                })
                id += 3
            default:
                table.addPrimitive("c\(column)", id: id, kind: kind, required: required,
                                   values: (0..<rows).map { _ in required ? FixtureTable.randomValue(kind, &random, strings: alphabet) : value() })
                id += 1
            }
        }
        var options = WriterOptions()
        let codecName = pick(["uncompressed", "snappy", "zstd", "gzip"])
        options.codec = ["uncompressed": .uncompressed, "snappy": .snappy, "gzip": .gzip][codecName] ?? .zstd(level: 2)
        options.dataPageSize = pick([64, 1024, 1 << 20])
        options.maxRowsPerPage = pick([3, 100, 20_000])
        options.rowGroupSize = pick([7, 1000, WriterOptions.defaultRowGroupSize])
        options.enableDictionary = random.next() % 4 != 0
        options.dictionaryPageSizeLimit = pick([100, 1 << 20])
        options.writePageIndex = random.next() % 4 != 0
        options.maxThreads = pick([1, 2])
        let describe: [String: Any] = [
            "seed": Int(seed), "codec": codecName, "data_page_size": options.dataPageSize,
            "max_rows_per_page": options.maxRowsPerPage, "row_group_size": options.rowGroupSize,
            "dictionary": options.enableDictionary, "page_index": options.writePageIndex,
        ]
        return (table, options, describe)
    }

    static let randomSeedCount: UInt64 = 40

    @Test("random schemas and values are written from fixed seeds")
    func randomTables() throws {
        guard Self.directory != nil else { return }
        for seed in 0..<Self.randomSeedCount {
            let (table, options, describe) = Self.randomTable(seed: seed)
            try Self.write("random_\(seed)", table, options: options, describe: describe)
        }
    }
}

@testable import Parquet
import Testing

/// Layouts Floe does not write (page v2, unknown fields) and malformed input.
@Suite("ParquetReaderEdges")
struct ParquetReaderEdgeTests {
    typealias H = HandmadeParquet

    static let words: [[UInt8]] = [Array("alpha".utf8), [], Array("γάμμα 😀".utf8)]

    /// `s`: optional string, dictionary page then two v2 pages (one uncompressed by flag);
    /// `n`: required INT64, two PLAIN v2 pages.
    static func v2File(codec: CompressionCodec, unknownFields: Bool) throws -> (bytes: [UInt8], s: [[UInt8]?], n: [Int64?]) {
        let sValues: [[UInt8]?] = (0..<40).map { $0 % 4 == 1 ? nil : words[$0 % 3] }
        var sPages = [try H.v1Page(type: .dictionaryPage, numValues: 3, encoding: .plain,
                                   body: H.plainByteArrays(words), codec: codec)]
        for (half, isCompressed) in [(0..<25, false as Bool?), (25..<40, nil)] {
            let rows = sValues[half]
            let levels = H.hybrid(rows.map { $0 == nil ? 0 : 1 }, bitWidth: 1, prefixed: false)
            let indices = rows.compactMap { $0 }.map { value in UInt32(words.firstIndex(of: value) ?? 0) }
            let values = [2] + H.hybrid(indices, bitWidth: 2, prefixed: false)
            sPages.append(try H.v2Page(numValues: rows.count, numNulls: rows.count - indices.count,
                                       encoding: .rleDictionary, definitionLevels: levels, values: values,
                                       codec: codec, isCompressed: isCompressed, withUnknownFields: unknownFields))
        }
        let nValues: [Int64] = (0..<40).map { Int64($0) * -123_456_789_012 }
        let nPages = try [0..<10, 10..<40].map { half in
            try H.v2Page(numValues: half.count, numNulls: 0, encoding: .plain, definitionLevels: [],
                         values: H.plainInt64s(Array(nValues[half])), codec: codec, isCompressed: true)
        }
        let thrift = codec.thriftValue
        let bytes = H.file(rows: 40, columns: [
            H.Column(element: SchemaElement(type: .byteArray, repetitionType: .optional, name: "s"), type: .byteArray,
                     codec: thrift, pages: sPages, hasDictionary: true),
            H.Column(element: SchemaElement(type: .int64, repetitionType: .required, name: "n"), type: .int64,
                     codec: thrift, pages: nPages, hasDictionary: false),
        ], extraFooterFields: { writer in if unknownFields { H.writeEveryType(&writer, from: 20) } })
        return (bytes, sValues, nValues)
    }

    @Test("data page v2 with dictionary, uncompressed-by-flag and compressed values",
          arguments: ParquetFileReaderTests.codecs)
    func dataPageV2(codec: CompressionCodec) throws {
        let file = try Self.v2File(codec: codec, unknownFields: false)
        let reader = try ParquetFileReader(bytes: file.bytes)
        #expect(reader.columnNames == ["s", "n"] && reader.rowCount == 40)
        #expect(try reader.byteArrays("s") == file.s)
        #expect(try reader.int64s("n") == file.n)
    }

    @Test("unknown fields of every Thrift type are skipped in the footer and page headers")
    func unknownFields() throws {
        let file = try Self.v2File(codec: .zstd(level: 1), unknownFields: true)
        let reader = try ParquetFileReader(bytes: file.bytes)
        #expect(try reader.byteArrays("s") == file.s)
        #expect(try reader.int64s("n") == file.n)
    }

    @Test("the compact reader decodes and skips every type")
    func thriftEveryType() throws {
        var writer = CompactProtocolWriter()
        writer.beginStruct()
        H.writeEveryType(&writer, from: 1)
        writer.writeI32(field: 3000, 77)
        writer.writeFieldHeader(.list, id: 3001)
        writer.writeListHeader(.booleanTrue, count: 20)
        writer.bytes += (0..<20).map { $0 % 3 == 0 ? 1 : 2 }
        writer.endStruct()
        var reader = ThriftCompactReader(bytes: writer.bytes, range: 0..<writer.bytes.count)
        try reader.enterStruct()
        var seen: [Int] = []
        var found: Int32?
        var bools: [Bool] = []
        var first: Bool?
        while let field = try reader.readFieldHeader() {
            seen.append(field.id)
            switch field.id {
            case 1: first = try reader.readBoolField()
            case 3000: found = try reader.readI32()
            case 3001: bools = try reader.readList(of: .booleanTrue) { (r) throws(ParquetError) in try r.readBoolElement() }
            default: try reader.skip(field.type)
            }
        }
        #expect(first == true && found == 77 && bools == (0..<20).map { $0 % 3 == 0 })
        #expect(seen == Array(1...14) + [2000, 3000, 3001])
        #expect(reader.remaining == 0)
    }

    @Test("the compact reader throws on malformed input")
    func thriftMalformed() {
        func fails(_ bytes: [UInt8], _ label: String) {
            var reader = ThriftCompactReader(bytes: bytes, range: 0..<bytes.count)
            #expect(throws: ParquetError.self, "\(label)") {
                try reader.enterStruct()
                while let field = try reader.readFieldHeader() { try reader.skip(field.type) }
            }
        }
        fails([], "empty")
        fails([0x15], "i32 missing")
        fails([0x15] + Array(repeating: 0x80, count: 11) + [0x00, 0x00], "11-byte varint")
        fails([0x19, 0xF5, 0xE8, 0x07, 0x00], "list of 1000 in 1 byte")
        fails([0x1B, 0xE8, 0x07, 0x55, 0x00], "map of 1000 in 1 byte")
        fails([0x18, 0x0A, 0x41], "binary past the end")
        fails([0x17, 0, 0, 0], "double past the end")
        fails([0x1D, 0x00], "type 13")
        fails([0x19, 0x10, 0x00], "list element type 0")
        fails(Array(repeating: 0x1C, count: 200) + Array(repeating: 0x00, count: 201), "structs 200 deep")
        fails([0x19] + Array(repeating: 0x19, count: 200), "lists 200 deep")
        fails([0x16, 0x00], "no stop byte")
        // Field id past Int16.max: a long-form id of 32767 then a delta of 1.
        fails([0x05, 0xFE, 0xFF, 0x03, 0x00, 0x15, 0x00, 0x00], "field id overflow")
        // Every strict prefix of a real footer throws.
        let footer = FileMetaData(
            schema: [SchemaElement(name: "schema", numChildren: 1), SchemaElement(type: .int64, name: "x")],
            numRows: 0, rowGroups: [], keyValueMetadata: [(key: "a", value: "b")].map { KeyValue(key: $0.key, value: $0.value) },
            createdBy: "me", columnOrderCount: 1).compactEncoded()
        for length in 0..<footer.count {
            var reader = ThriftCompactReader(bytes: footer, range: 0..<length)
            #expect(throws: ParquetError.self) { _ = try FooterMetadata(from: &reader) }
        }
        var whole = ThriftCompactReader(bytes: footer, range: 0..<footer.count)
        #expect((try? FooterMetadata(from: &whole))?.schema.count == 2)
    }

    @Test("a dictionary index past the dictionary, a missing dictionary and a bad bit width throw")
    func brokenDictionary() throws {
        let dictionary = try H.v1Page(type: .dictionaryPage, numValues: 2, encoding: .plain,
                                      body: H.plainByteArrays(Array(Self.words.prefix(2))))
        func file(_ pages: [[UInt8]], dictionary: Bool) -> [UInt8] {
            H.file(rows: 8, columns: [H.Column(
                element: SchemaElement(type: .byteArray, repetitionType: .required, name: "s"), type: .byteArray,
                codec: 0, pages: pages, hasDictionary: dictionary)])
        }
        let good = try H.v1Page(type: .dataPage, numValues: 8, encoding: .rleDictionary,
                                body: [1] + H.hybrid([0, 1, 1, 0, 0, 1, 0, 1], bitWidth: 1, prefixed: false))
        #expect(try ParquetFileReader(bytes: file([dictionary, good], dictionary: true)).byteArrays("s").count == 8)

        let pastEnd = try H.v1Page(type: .dataPage, numValues: 8, encoding: .rleDictionary,
                                   body: [2] + H.hybrid([0, 1, 2, 0, 0, 1, 0, 1], bitWidth: 2, prefixed: false))
        let noDictionary = good
        let wideBits = try H.v1Page(type: .dataPage, numValues: 8, encoding: .rleDictionary, body: [33, 0x10, 0])
        let shortIndices = try H.v1Page(type: .dataPage, numValues: 8, encoding: .rleDictionary, body: [1, 0x03])
        let unsupported = try H.v1Page(type: .dataPage, numValues: 8, encoding: .bitPacked, body: [0, 0])
        for (label, pages, hasDictionary) in [
            ("index past the dictionary", [dictionary, pastEnd], true),
            ("no dictionary page", [noDictionary], false),
            ("bit width 33", [dictionary, wideBits], true),
            ("indices end early", [dictionary, shortIndices], true),
            ("unsupported encoding", [dictionary, unsupported], true),
            ("two dictionaries", [dictionary, dictionary, good], true),
        ] {
            let reader = try ParquetFileReader(bytes: file(pages, dictionary: hasDictionary))
            let error = #expect(throws: ParquetError.self, "\(label)") { try reader.byteArrays("s") }
            #expect(error?.code == .invalidColumnData, "\(label): \(String(describing: error))")
        }
    }

    // MARK: Malformed files from the writer

    static func sampleFile(checksums: Bool = true, codec: CompressionCodec = .uncompressed, rows: Int = 40,
                           rowGroupSize: Int = 25) throws
        -> (bytes: [UInt8], table: ReaderTestTable) {
        let table = ReaderTestTable.make(rows: rows, seed: 99)
        var options = WriterOptions()
        options.codec = codec
        options.writePageChecksums = checksums
        options.dataPageSize = 256
        options.rowGroupSize = rowGroupSize
        options.maxThreads = 1
        return (try table.write(options), table)
    }

    /// Opens the file and reads every column; returns whether that threw.
    static func readAllThrows(_ bytes: [UInt8], _ table: ReaderTestTable) -> Bool {
        do {
            let reader = try ParquetFileReader(bytes: bytes)
            for name in table.int64s.keys { _ = try reader.int64s(name) }
            for name in table.byteArrays.keys { _ = try reader.byteArrays(name) }
            return false
        } catch {
            return true
        }
    }

    @Test("a truncated file throws at every length")
    func truncated() throws {
        let (bytes, table) = try Self.sampleFile()
        #expect(!Self.readAllThrows(bytes, table))
        for length in 0..<bytes.count {
            #expect(Self.readAllThrows(Array(bytes.prefix(length)), table), "length \(length)")
        }
        // The middle cut out, the footer length and magic kept: the length no longer fits or the
        // footer is garbage.
        for cut in stride(from: 1, to: bytes.count - 8, by: 7) {
            #expect(Self.readAllThrows(Array(bytes.prefix(cut)) + bytes.suffix(8), table), "cut at \(cut)")
        }
    }

    @Test("bad magic and bad footer lengths throw invalidColumnData")
    func badFraming() throws {
        let (bytes, _) = try Self.sampleFile()
        var cases: [(String, [UInt8])] = []
        var start = bytes
        start[3] = UInt8(ascii: "2")
        cases.append(("bad leading magic", start))
        var end = bytes
        end[end.count - 1] = UInt8(ascii: "E")
        cases.append(("encrypted-footer magic", end))
        for (label, length) in [("zero", UInt32(0)), ("file size - 11", UInt32(bytes.count - 11)),
                                ("file size", UInt32(bytes.count)), ("UInt32.max", UInt32.max)] {
            var copy = bytes
            withUnsafeBytes(of: length.littleEndian) { copy.replaceSubrange((copy.count - 8)..<(copy.count - 4), with: $0) }
            cases.append(("footer length \(label)", copy))
        }
        cases.append(("only framing", Array("PAR1".utf8) + [0, 0, 0, 0] + Array("PAR1".utf8)))
        for (label, file) in cases {
            let error = #expect(throws: ParquetError.self, "\(label)") { try ParquetFileReader(bytes: file) }
            #expect(error?.code == .invalidColumnData, "\(label)")
        }
    }

    /// `PAR1`, `padding` bytes of page data, the footer, its length, `PAR1`.
    static func framed(_ footer: FileMetaData, padding: [UInt8] = []) -> [UInt8] {
        let encoded = footer.compactEncoded()
        let length = UInt32(encoded.count)
        return Array("PAR1".utf8) + padding + encoded
            + [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
            + Array("PAR1".utf8)
    }

    @Test("inconsistent footers throw invalidColumnData when opened or read")
    func badFooters() throws {
        let root = SchemaElement(name: "schema", numChildren: 1)
        let leaf = SchemaElement(type: .int64, repetitionType: .required, name: "x")
        func footer(schema: [SchemaElement], rows: Int64, groups: [RowGroup]) -> FileMetaData {
            FileMetaData(schema: schema, numRows: rows, rowGroups: groups, keyValueMetadata: [], createdBy: nil,
                         columnOrderCount: 0)
        }
        func group(rows: Int64, offset: Int64 = 4, size: Int64 = 8, values: Int64? = nil) -> RowGroup {
            let meta = ColumnMetaData(type: .int64, encodings: [.plain], pathInSchema: ["x"], codec: 0,
                                      numValues: values ?? rows, totalUncompressedSize: size, totalCompressedSize: size,
                                      dataPageOffset: offset, dictionaryPageOffset: nil, statistics: nil, encodingStats: [])
            return RowGroup(columns: [ColumnChunk(fileOffset: offset, metaData: meta)], totalByteSize: size, numRows: rows)
        }
        let atOpen: [(String, FileMetaData)] = [
            ("row counts overflow", footer(schema: [root, leaf], rows: .max,
                                           groups: [group(rows: .max), group(rows: .max)])),
            ("row groups short of num_rows", footer(schema: [root, leaf], rows: 10, groups: [group(rows: 9)])),
            ("negative num_rows", footer(schema: [root, leaf], rows: -1, groups: [])),
            ("root claims more children", footer(schema: [SchemaElement(name: "schema", numChildren: 5), leaf],
                                                 rows: 0, groups: [])),
            ("element outside the root", footer(schema: [root, leaf, leaf], rows: 0, groups: [])),
            ("group claims more children", footer(
                schema: [root, SchemaElement(repetitionType: .optional, name: "g", numChildren: 3), leaf],
                rows: 0, groups: [])),
            ("negative num_children", footer(schema: [SchemaElement(name: "schema", numChildren: -1)], rows: 0, groups: [])),
            ("empty schema", footer(schema: [], rows: 0, groups: [])),
        ]
        for (label, metadata) in atOpen {
            let error = #expect(throws: ParquetError.self, "\(label)") { try ParquetFileReader(bytes: Self.framed(metadata)) }
            #expect(error?.code == .invalidColumnData, "\(label)")
        }
        let padding = [UInt8](repeating: 0, count: 16)
        let atRead: [(String, FileMetaData)] = [
            ("chunk past the footer", footer(schema: [root, leaf], rows: 2, groups: [group(rows: 2, offset: 1 << 40)])),
            ("chunk size past the footer", footer(schema: [root, leaf], rows: 2, groups: [group(rows: 2, size: .max)])),
            ("chunk in the magic", footer(schema: [root, leaf], rows: 2, groups: [group(rows: 2, offset: 0)])),
            ("num_values differs from num_rows", footer(schema: [root, leaf], rows: 2, groups: [group(rows: 2, values: 3)])),
            ("zero-filled pages", footer(schema: [root, leaf], rows: 2, groups: [group(rows: 2, size: 16)])),
        ]
        for (label, metadata) in atRead {
            let reader = try ParquetFileReader(bytes: Self.framed(metadata, padding: padding))
            #expect(reader.columnNames == ["x"])
            let error = #expect(throws: ParquetError.self, "\(label)") { try reader.int64s("x") }
            #expect(error?.code == .invalidColumnData, "\(label)")
        }
    }

    @Test("a corrupted page header or body throws")
    func corruptedPage() throws {
        let (bytes, table) = try Self.sampleFile()
        let reader = try ParquetFileReader(bytes: bytes)
        let meta = try #require(reader.metadata.rowGroups[0].columns.first { $0.metaData?.pathInSchema == ["id"] }?.metaData)
        let offset = Int(meta.dataPageOffset)
        var thrift = ThriftCompactReader(bytes: bytes, range: offset..<bytes.count)
        let header = try FooterPageHeader(from: &thrift)
        let bodyStart = thrift.position

        var garbage = bytes
        for i in offset..<(offset + 6) { garbage[i] = 0xFF }
        // The uncompressed (id 2) or compressed (id 3) size rewritten to a larger value of the same
        // encoded length: fields 1...3 are i32s with short headers (0x15), so walk their varints.
        func enlarged(field target: Int) throws -> [UInt8] {
            var copy = bytes
            var position = offset
            for field in 1...3 {
                try #require(copy[position] == 0x15)
                position += 1
                while copy[position] & 0x80 != 0 {
                    if field == target { copy[position] |= 0x7F }
                    position += 1
                }
                if field == target { copy[position] |= 0x7F }
                position += 1
            }
            return copy
        }
        let uncompressedSize = try enlarged(field: 2)
        let compressedSize = try enlarged(field: 3)
        var body = bytes
        body[bodyStart + Int(header.compressedPageSize) / 2] ^= 0x55
        var stop = bytes
        stop[offset] = 0x00  // An empty header: required fields missing.

        for (label, file) in [("garbage header", garbage), ("uncompressed size", uncompressedSize),
                              ("compressed size", compressedSize), ("body (checksum)", body),
                              ("empty header", stop)] {
            let opened = try ParquetFileReader(bytes: file)
            let error = #expect(throws: ParquetError.self, "\(label)") { try opened.int64s("id") }
            #expect(error?.code == .invalidColumnData, "\(label): \(String(describing: error))")
            // Other columns are untouched.
            #expect(try opened.byteArrays("event") == table.byteArrays["event"], "\(label)")
        }
    }

    @Test("corrupt compressed data throws compressionFailed", arguments: [CompressionCodec.snappy, .gzip, .zstd(level: 1)])
    func corruptCompressed(codec: CompressionCodec) throws {
        let (bytes, _) = try Self.sampleFile(checksums: false, codec: codec)
        let reader = try ParquetFileReader(bytes: bytes)
        let meta = try #require(reader.metadata.rowGroups[0].columns.first { $0.metaData?.pathInSchema == ["user"] }?.metaData)
        var thrift = ThriftCompactReader(bytes: bytes, range: Int(meta.dataPageOffset)..<bytes.count)
        let header = try FooterPageHeader(from: &thrift)
        var file = bytes
        // Zero the body: no codec accepts it as the stream the header describes.
        for i in thrift.position..<(thrift.position + Int(header.compressedPageSize)) { file[i] = 0 }
        let error = #expect(throws: ParquetError.self) { try ParquetFileReader(bytes: file).byteArrays("user") }
        #expect(error?.code == .compressionFailed, "\(String(describing: error))")
    }

    @Test("every single-byte corruption throws or reads, never traps", arguments: [
        CompressionCodec.uncompressed, .zstd(level: 1),
    ])
    func fuzz(codec: CompressionCodec) throws {
        // Small and structural: two row groups of a required INT64, a dictionary-encoded optional
        // string and a PLAIN optional string, with statistics and page indexes, without checksums
        // (so that corrupt pages reach the decoders).
        var table = ReaderTestTable(schema: ParquetSchema(fields: []), columns: [], rows: 12)
        table.addInt64("id", required: true) { Int64($0) * 1_000_003 }
        table.addBytes("event", type: .string, required: false) { $0 % 4 == 1 ? nil : Array(["a", "bb"][$0 % 2].utf8) }
        table.addBytes("user", type: .string, required: false) { $0 % 3 == 0 ? nil : Array("u\($0)".utf8) }
        var options = WriterOptions()
        options.codec = codec
        options.writePageChecksums = false
        options.rowGroupSize = 7
        options.maxThreads = 1
        let bytes = try table.write(options)
        #expect(!Self.readAllThrows(bytes, table))
        var thrown = 0
        var file = bytes
        let mutations: [UInt8] = [0x01, 0x80, 0xFF, 0x40]
        for index in bytes.indices {
            file[index] = bytes[index] ^ mutations[index % mutations.count]
            if Self.readAllThrows(file, table) { thrown += 1 }
            file[index] = bytes[index]
        }
        #expect(thrown > bytes.count / 4, "\(thrown) of \(bytes.count) corruptions threw")
    }
}

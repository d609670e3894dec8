/// Reads top-level flat columns of a Parquet file held in memory.
///
/// ```swift
/// let reader = try ParquetFileReader(bytes: file.bytes)
/// let names = try reader.byteArrays("name")   // [[UInt8]?], nil for nulls
/// let ids = try reader.int64s("id")           // [Int64?]
/// ```
///
/// Supports BYTE_ARRAY, INT64 and INT32 columns that are direct children of the schema root, required or
/// optional (never repeated or nested), in v1 or v2 data pages, PLAIN or dictionary encoded
/// (PLAIN_DICTIONARY / RLE_DICTIONARY), compressed with UNCOMPRESSED, SNAPPY, GZIP or ZSTD. Page
/// CRCs are verified when present. Malformed input throws `ParquetError` (`.invalidColumnData`
/// for a malformed file, `.schemaMismatch` for a missing, nested or mistyped column,
/// `.compressionFailed` for an unsupported codec or bad compressed data); it never traps.
public struct ParquetFileReader: Sendable {
    /// A direct child of the schema root.
    struct TopLevelField: Sendable {
        var element: FooterSchemaElement
        var isGroup: Bool
        /// Position of the element in the flattened schema (its children follow it).
        var index: Int
    }

    let bytes: [UInt8]
    /// The decoded footer; internal so that tests can look at page layouts.
    let metadata: FooterMetadata
    /// Where column chunks may lie: after `PAR1`, before the footer.
    let dataArea: Range<Int>
    private let fields: [TopLevelField]

    private static let magic: [UInt8] = Array("PAR1".utf8)

    /// Checks the `PAR1` magic at both ends and decodes the footer `FileMetaData`.
    public init(bytes: [UInt8]) throws(ParquetError) {
        guard bytes.count >= 12 else {
            throw Self.malformed("file of \(bytes.count) bytes is shorter than the 12-byte framing")
        }
        guard bytes[0..<4].elementsEqual(Self.magic), bytes[(bytes.count - 4)...].elementsEqual(Self.magic) else {
            throw Self.malformed("PAR1 magic missing at the start or end")
        }
        let footerLength = Int(PlainDecoder.readUInt32(bytes, at: bytes.count - 8))
        guard footerLength > 0, footerLength <= bytes.count - 12 else {
            throw Self.malformed("footer length \(footerLength) does not fit in a file of \(bytes.count) bytes")
        }
        let footerStart = bytes.count - 8 - footerLength
        var reader = ThriftCompactReader(bytes: bytes, range: footerStart..<(bytes.count - 8))
        let metadata = try FooterMetadata(from: &reader)
        guard metadata.numRows >= 0 else {
            throw Self.malformed("num_rows \(metadata.numRows) out of range")
        }
        var groupRows: Int64 = 0
        for group in metadata.rowGroups {
            // Row counts are non-negative; stop before a sum could overflow.
            guard group.numRows <= metadata.numRows - groupRows else {
                groupRows = -1
                break
            }
            groupRows += group.numRows
        }
        guard groupRows == metadata.numRows else {
            throw Self.malformed("row groups do not add up to the file's \(metadata.numRows) rows")
        }
        self.bytes = bytes
        self.metadata = metadata
        dataArea = 4..<footerStart
        fields = try Self.topLevelFields(metadata.schema)
    }

    /// Number of rows in the file (sum over row groups).
    public var rowCount: Int { Int(metadata.numRows) }

    /// Names of every direct child of the schema root (flat columns, lists and maps), in schema order.
    public var fieldNames: [String] { fields.map(\.element.name) }

    /// Names of the top-level leaf columns (path of length 1), in schema order; groups are left out.
    public var columnNames: [String] {
        fields.filter { !$0.isGroup }.map(\.element.name)
    }

    /// Every value of a top-level BYTE_ARRAY column (optional or required), in row order over all
    /// row groups; nil for nulls.
    public func byteArrays(_ column: String) throws(ParquetError) -> [[UInt8]?] {
        try read(column, physicalType: PhysicalType.byteArray.rawValue, typeName: "BYTE_ARRAY", plain: PlainDecoder.byteArrays)
    }

    /// Every value of a top-level INT64 column (optional or required); nil for nulls.
    public func int64s(_ column: String) throws(ParquetError) -> [Int64?] {
        try read(column, physicalType: PhysicalType.int64.rawValue, typeName: "INT64", plain: PlainDecoder.int64s)
    }

    /// Every value of a top-level INT32 column (optional or required); nil for nulls.
    public func int32s(_ column: String) throws(ParquetError) -> [Int32?] {
        try read(column, physicalType: PhysicalType.int32.rawValue, typeName: "INT32", plain: PlainDecoder.int32s)
    }

    /// Every value of a top-level BYTE_ARRAY, INT64 or INT32 column in the form ``ParquetFileWriter`` takes,
    /// so that rows can be written again (validity nil when the column has no nulls).
    public func columnData(_ column: String) throws(ParquetError) -> ColumnData {
        guard let field = fields.first(where: { $0.element.name == column }) else {
            throw ParquetError(.schemaMismatch, "no top-level column of that name", context: ["column": column])
        }
        if field.isGroup { return try nestedColumnData(field) }
        func validity<T>(_ values: [T?]) -> [Bool]? {
            values.contains { $0 == nil } ? values.map { $0 != nil } : nil
        }
        switch field.element.type {
        case PhysicalType.byteArray.rawValue:
            let values = try byteArrays(column)
            var buffer = ByteArrayBuffer()
            buffer.reserveCapacity(values: values.count, bytes: values.reduce(0) { $0 + ($1?.count ?? 0) })
            for value in values { if let value { buffer.append(value[...]) } }
            return .byteArray(buffer, validity: validity(values))
        case PhysicalType.int64.rawValue:
            let values = try int64s(column)
            return .int64(values.compactMap { $0 }, validity: validity(values))
        case PhysicalType.int32.rawValue:
            let values = try int32s(column)
            return .int32(values.compactMap { $0 }, validity: validity(values))
        default:
            throw ParquetError(.schemaMismatch, "column is not BYTE_ARRAY, INT64 or INT32 (physical type \(field.element.type ?? -1))",
                               context: ["column": column])
        }
    }

    /// A top-level list of BYTE_ARRAY elements or map of BYTE_ARRAY keys and values, in the standard
    /// three-level layout (`<list> { repeated group { element } }`, `<map> { repeated group { key; value } }`).
    private func nestedColumnData(_ field: TopLevelField) throws(ParquetError) -> ColumnData {
        let name = field.element.name
        let schema = metadata.schema
        let required = FieldRepetitionType.required.rawValue, optional = FieldRepetitionType.optional.rawValue
        let repeated = FieldRepetitionType.repeated.rawValue
        guard field.element.numChildren == 1, field.index + 2 < schema.count,
              schema[field.index + 1].repetitionType == repeated, schema[field.index + 1].type == nil else {
            throw ParquetError(.schemaMismatch, "only lists and maps of one repeated group are supported", context: ["column": name])
        }
        let entry = schema[field.index + 1]
        let leafCount = Int(entry.numChildren ?? 0)
        guard leafCount == 1 || leafCount == 2, field.index + 1 + leafCount < schema.count else {
            throw ParquetError(.schemaMismatch, "a list needs one element, a map a key and a value", context: ["column": name])
        }
        let leaves = schema[(field.index + 2)...(field.index + 1 + leafCount)]
        guard leaves.allSatisfy({ $0.type == PhysicalType.byteArray.rawValue && ($0.numChildren ?? 0) == 0 }) else {
            throw ParquetError(.schemaMismatch, "only byte-array elements, keys and values are supported", context: ["column": name])
        }
        guard (leaves.first?.repetitionType ?? required) == required else {
            throw ParquetError(.schemaMismatch, "list elements and map keys must be required", context: ["column": name])
        }
        let isOptional = (field.element.repetitionType ?? required) == optional
        let entryLevel = (isOptional ? 1 : 0) + 1
        var chunks: [ColumnChunkReader.Levels<[UInt8]>] = []
        for leaf in leaves {
            let leafOptional = (leaf.repetitionType ?? required) == optional
            var reader = ColumnChunkReader(bytes: bytes, dataArea: dataArea, column: name,
                                           maxDefinitionLevel: entryLevel + (leafOptional ? 1 : 0),
                                           physicalType: PhysicalType.byteArray.rawValue)
            reader.maxRepetitionLevel = 1
            var levels = ColumnChunkReader.Levels<[UInt8]>()
            let path = [name, entry.name, leaf.name]
            for group in metadata.rowGroups {
                guard let meta = group.columns.first(where: { $0.metaData?.pathInSchema == path })?.metaData else {
                    throw Self.malformed("a row group has no column chunk for the column", context: ["column": path.joined(separator: ".")])
                }
                try reader.readLevels(meta, into: &levels, plain: PlainDecoder.byteArrays)
            }
            chunks.append(levels)
        }
        let keys = chunks[0]
        guard keys.repetition.count == keys.definition.count,
              chunks.allSatisfy({ $0.repetition == keys.repetition && $0.definition.count == keys.definition.count }) else {
            throw Self.malformed("the leaves of a list or map disagree on their levels", context: ["column": name])
        }
        var offsets: [Int32] = [0]
        var validity: [Bool] = []
        var keyBuffer = ByteArrayBuffer(), valueBuffer = ByteArrayBuffer()
        var valueValidity: [Bool] = []
        var nextKey = 0, nextValue = 0
        let valueMax = UInt32(entryLevel + 1)
        for (position, level) in keys.definition.enumerated() {
            if keys.repetition[position] == 0 {
                if position > 0 { offsets.append(Int32(keyBuffer.count)) }
                validity.append(!(isOptional && level == 0))
            } else if position == 0 {
                throw Self.malformed("the first level of a column starts no row", context: ["column": name])
            }
            guard level >= UInt32(entryLevel) else { continue }
            guard nextKey < keys.values.count else { throw Self.malformed("fewer values than levels", context: ["column": name]) }
            keyBuffer.append(keys.values[nextKey][...])
            nextKey += 1
            if chunks.count == 2 {
                let values = chunks[1]
                if values.definition[position] == valueMax {
                    guard nextValue < values.values.count else {
                        throw Self.malformed("fewer values than levels", context: ["column": name])
                    }
                    valueBuffer.append(values.values[nextValue][...])
                    nextValue += 1
                    valueValidity.append(true)
                } else {
                    valueValidity.append(false)
                }
            }
        }
        if !keys.definition.isEmpty { offsets.append(Int32(keyBuffer.count)) }
        guard validity.count == rowCount else {
            throw Self.malformed("\(validity.count) rows in a column of a file of \(rowCount)", context: ["column": name])
        }
        let rowValidity: [Bool]? = validity.contains(false) ? validity : nil
        guard chunks.count == 2 else {
            return .list(offsets: offsets, validity: rowValidity, elements: .byteArray(keyBuffer, validity: nil))
        }
        return .map(offsets: offsets, validity: rowValidity, keys: .byteArray(keyBuffer, validity: nil),
                    values: .byteArray(valueBuffer, validity: valueValidity.contains(false) ? valueValidity : nil))
    }

    private func read<T>(_ column: String, physicalType: Int32, typeName: String,
                         plain: ColumnChunkReader.PlainDecode<T>) throws(ParquetError) -> [T?] {
        let context = ["column": column]
        guard let field = fields.first(where: { $0.element.name == column }) else {
            throw ParquetError(.schemaMismatch, "no top-level column of that name", context: context)
        }
        guard !field.isGroup else {
            throw ParquetError(.schemaMismatch, "nested (group) columns are not supported by the reader", context: context)
        }
        let required = FieldRepetitionType.required.rawValue, optional = FieldRepetitionType.optional.rawValue
        let repetition = field.element.repetitionType ?? required
        guard repetition == required || repetition == optional else {
            throw ParquetError(.schemaMismatch, "repeated columns are not supported by the reader", context: context)
        }
        guard field.element.type == physicalType else {
            throw ParquetError(.schemaMismatch, "column is not \(typeName) (physical type \(field.element.type ?? -1))",
                               context: context)
        }
        let chunkReader = ColumnChunkReader(bytes: bytes, dataArea: dataArea, column: column,
                                            maxDefinitionLevel: repetition == optional ? 1 : 0, physicalType: physicalType)
        var values: [T?] = []
        for group in metadata.rowGroups {
            guard let chunk = group.columns.first(where: { $0.metaData?.pathInSchema == [column] }),
                  let meta = chunk.metaData else {
                throw Self.malformed("a row group has no column chunk for the column", context: context)
            }
            guard chunk.filePath == nil else {
                throw ParquetError(.invalidColumnData, "column chunks in other files are not supported", context: context)
            }
            try chunkReader.read(meta, rows: Int(group.numRows), into: &values, plain: plain)
        }
        return values
    }

    /// The direct children of the root, after checking that `num_children` describes exactly the
    /// elements present.
    private static func topLevelFields(_ schema: [FooterSchemaElement]) throws(ParquetError) -> [TopLevelField] {
        guard let root = schema.first else { throw malformed("empty schema") }
        let rootChildren = Int(root.numChildren ?? 0)
        guard rootChildren >= 0, rootChildren < schema.count else {
            throw malformed("root has \(rootChildren) children for \(schema.count - 1) elements")
        }
        var fields: [TopLevelField] = []
        fields.reserveCapacity(rootChildren)
        var index = 1
        for _ in 0..<rootChildren {
            guard index < schema.count else { throw malformed("schema ends before the root's children") }
            let element = schema[index]
            index += 1
            let children = Int(element.numChildren ?? 0)
            guard children >= 0 else { throw malformed("negative num_children") }
            fields.append(TopLevelField(element: element, isGroup: element.type == nil || children > 0, index: index - 1))
            // Skip the subtree: each step consumes one element, so this ends with the schema.
            var pending = children
            while pending > 0 {
                guard index < schema.count else { throw malformed("schema ends inside a group") }
                let descendants = Int(schema[index].numChildren ?? 0)
                guard descendants >= 0 else { throw malformed("negative num_children") }
                pending += descendants - 1
                index += 1
            }
        }
        guard index == schema.count else {
            throw malformed("\(schema.count - index) schema elements outside the root")
        }
        return fields
    }

    private static func malformed(_ message: String, context: [String: String] = [:]) -> ParquetError {
        ParquetError(.invalidColumnData, "malformed Parquet file: \(message)", context: context)
    }
}

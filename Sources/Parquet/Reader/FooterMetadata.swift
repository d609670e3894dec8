/// The parts of a Parquet footer (`FileMetaData`) that the reader uses, decoded from Thrift compact.
///
/// Field ids follow [parquet.thrift](https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift);
/// every other field is skipped.
struct FooterMetadata: Sendable {
    var version: Int32
    var schema: [FooterSchemaElement]
    var numRows: Int64
    var rowGroups: [FooterRowGroup]

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        var version: Int32?
        var schema: [FooterSchemaElement]?
        var numRows: Int64?
        var rowGroups: [FooterRowGroup]?
        try reader.enterStruct()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i32): version = try reader.readI32()
            case (2, .list): schema = try reader.readList(of: .struct) { (r) throws(ParquetError) in
                    try FooterSchemaElement(from: &r)
                }
            case (3, .i64): numRows = try reader.readI64()
            case (4, .list): rowGroups = try reader.readList(of: .struct) { (r) throws(ParquetError) in
                    try FooterRowGroup(from: &r)
                }
            default: try reader.skip(field.type)
            }
        }
        guard let version, let schema, let numRows, let rowGroups else {
            throw footerError("FileMetaData lacks a required field")
        }
        self.version = version
        self.schema = schema
        self.numRows = numRows
        self.rowGroups = rowGroups
    }
}

/// `SchemaElement`: one node of the depth-first schema tree.
struct FooterSchemaElement: Sendable {
    /// Physical `Type`; nil for groups.
    var type: Int32?
    /// `FieldRepetitionType`: 0 required, 1 optional, 2 repeated; nil for the root.
    var repetitionType: Int32?
    var name: String
    var numChildren: Int32?

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        var type: Int32?
        var repetitionType: Int32?
        var name: String?
        var numChildren: Int32?
        try reader.enterStruct()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i32): type = try reader.readI32()
            case (3, .i32): repetitionType = try reader.readI32()
            case (4, .binary): name = try reader.readString()
            case (5, .i32): numChildren = try reader.readI32()
            default: try reader.skip(field.type)
            }
        }
        guard let name else { throw footerError("SchemaElement lacks a name") }
        self.type = type
        self.repetitionType = repetitionType
        self.name = name
        self.numChildren = numChildren
    }
}

/// `RowGroup`: its column chunks and row count.
struct FooterRowGroup: Sendable {
    var columns: [FooterColumnChunk]
    var numRows: Int64

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        var columns: [FooterColumnChunk]?
        var numRows: Int64?
        try reader.enterStruct()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .list): columns = try reader.readList(of: .struct) { (r) throws(ParquetError) in
                    try FooterColumnChunk(from: &r)
                }
            case (3, .i64): numRows = try reader.readI64()
            default: try reader.skip(field.type)
            }
        }
        guard let columns, let numRows else { throw footerError("RowGroup lacks columns or num_rows") }
        guard numRows >= 0 else { throw footerError("RowGroup has a negative num_rows") }
        self.columns = columns
        self.numRows = numRows
    }
}

/// `ColumnChunk` with its inline `ColumnMetaData`.
struct FooterColumnChunk: Sendable {
    /// Set when the chunk lives in another file, which this reader does not follow.
    var filePath: String?
    /// Nil when the chunk has no inline metadata.
    var metaData: FooterColumnMetaData?

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        try reader.enterStruct()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .binary): filePath = try reader.readString()
            case (3, .struct): metaData = try FooterColumnMetaData(from: &reader)
            default: try reader.skip(field.type)
            }
        }
    }
}

/// `ColumnMetaData`: where a column chunk's pages are and how they are compressed.
struct FooterColumnMetaData: Sendable {
    var type: Int32
    var pathInSchema: [String]
    /// Thrift `CompressionCodec`: 0 uncompressed, 1 snappy, 2 gzip, 6 zstd, ...
    var codec: Int32
    var numValues: Int64
    var totalCompressedSize: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        var type: Int32?
        var pathInSchema: [String]?
        var codec: Int32?
        var numValues: Int64?
        var totalCompressedSize: Int64?
        var dataPageOffset: Int64?
        try reader.enterStruct()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i32): type = try reader.readI32()
            case (3, .list): pathInSchema = try reader.readList(of: .binary) { (r) throws(ParquetError) in
                    try r.readString()
                }
            case (4, .i32): codec = try reader.readI32()
            case (5, .i64): numValues = try reader.readI64()
            case (7, .i64): totalCompressedSize = try reader.readI64()
            case (9, .i64): dataPageOffset = try reader.readI64()
            case (11, .i64): dictionaryPageOffset = try reader.readI64()
            default: try reader.skip(field.type)
            }
        }
        guard let type, let pathInSchema, let codec, let numValues, let totalCompressedSize, let dataPageOffset else {
            throw footerError("ColumnMetaData lacks a required field")
        }
        guard numValues >= 0, totalCompressedSize >= 0, dataPageOffset >= 0 else {
            throw footerError("ColumnMetaData has a negative count, size or offset")
        }
        self.type = type
        self.pathInSchema = pathInSchema
        self.codec = codec
        self.numValues = numValues
        self.totalCompressedSize = totalCompressedSize
        self.dataPageOffset = dataPageOffset
    }
}

/// `PageHeader` with whichever of its page-specific headers is set.
struct FooterPageHeader: Sendable {
    /// `PageType`: 0 data page, 1 index page, 2 dictionary page, 3 data page v2.
    var type: Int32
    var uncompressedPageSize: Int32
    var compressedPageSize: Int32
    var crc: Int32?
    var dataPage: DataPage?
    var dictionaryPage: DictionaryPage?
    var dataPageV2: DataPageV2?

    /// `DataPageHeader` (v1).
    struct DataPage: Sendable {
        var numValues: Int32 = 0
        var encoding: Int32 = 0
        var definitionLevelEncoding: Int32 = 3
        var repetitionLevelEncoding: Int32 = 3
    }

    /// `DictionaryPageHeader`.
    struct DictionaryPage: Sendable {
        var numValues: Int32 = 0
        var encoding: Int32 = 0
    }

    /// `DataPageHeaderV2`: levels come first, uncompressed, then the (possibly compressed) values.
    struct DataPageV2: Sendable {
        var numValues: Int32 = 0
        var numNulls: Int32 = 0
        var numRows: Int32 = 0
        var encoding: Int32 = 0
        var definitionLevelsByteLength: Int32 = 0
        var repetitionLevelsByteLength: Int32 = 0
        var isCompressed = true
    }

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        var type: Int32?
        var uncompressed: Int32?
        var compressed: Int32?
        try reader.enterStruct()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i32): type = try reader.readI32()
            case (2, .i32): uncompressed = try reader.readI32()
            case (3, .i32): compressed = try reader.readI32()
            case (4, .i32): crc = try reader.readI32()
            case (5, .struct): dataPage = try Self.dataPage(&reader)
            case (7, .struct): dictionaryPage = try Self.dictionaryPage(&reader)
            case (8, .struct): dataPageV2 = try Self.dataPageV2(&reader)
            default: try reader.skip(field.type)
            }
        }
        guard let type, let uncompressed, let compressed else { throw footerError("PageHeader lacks a required field") }
        guard uncompressed >= 0, compressed >= 0 else { throw footerError("PageHeader has a negative size") }
        self.type = type
        uncompressedPageSize = uncompressed
        compressedPageSize = compressed
    }

    private static func dataPage(_ reader: inout ThriftCompactReader) throws(ParquetError) -> DataPage {
        var header = DataPage()
        try reader.enterStruct()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i32): header.numValues = try reader.readI32()
            case (2, .i32): header.encoding = try reader.readI32()
            case (3, .i32): header.definitionLevelEncoding = try reader.readI32()
            case (4, .i32): header.repetitionLevelEncoding = try reader.readI32()
            default: try reader.skip(field.type)
            }
        }
        return header
    }

    private static func dictionaryPage(_ reader: inout ThriftCompactReader) throws(ParquetError) -> DictionaryPage {
        var header = DictionaryPage()
        try reader.enterStruct()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i32): header.numValues = try reader.readI32()
            case (2, .i32): header.encoding = try reader.readI32()
            default: try reader.skip(field.type)
            }
        }
        return header
    }

    private static func dataPageV2(_ reader: inout ThriftCompactReader) throws(ParquetError) -> DataPageV2 {
        var header = DataPageV2()
        try reader.enterStruct()
        while let field = try reader.readFieldHeader() {
            switch (field.id, field.type) {
            case (1, .i32): header.numValues = try reader.readI32()
            case (2, .i32): header.numNulls = try reader.readI32()
            case (3, .i32): header.numRows = try reader.readI32()
            case (4, .i32): header.encoding = try reader.readI32()
            case (5, .i32): header.definitionLevelsByteLength = try reader.readI32()
            case (6, .i32): header.repetitionLevelsByteLength = try reader.readI32()
            case (7, .booleanTrue), (7, .booleanFalse): header.isCompressed = try reader.readBoolField()
            default: try reader.skip(field.type)
            }
        }
        return header
    }
}

private func footerError(_ message: String) -> ParquetError {
    ParquetError(.invalidColumnData, "malformed Parquet metadata: \(message)")
}

/// Reads an Avro object container file written by any writer: its metadata, writer schema and records.
struct AvroContainerReader: Sendable {
    let schema: AvroSchema
    let metadata: [String: String]
    let records: [AvroValue]

    /// Reads every record into ``records``.
    ///
    /// - Throws: ``CatalogError`` `invalidMetadata` for anything that is not a readable container.
    init(bytes: [UInt8]) throws {
        var records: [AvroValue] = []
        let header = try Self.forEachRecord(in: bytes) { _, record in records.append(record) }
        schema = header.schema
        metadata = header.metadata
        self.records = records
    }

    /// Decodes the records one at a time, handing each to `body` with the writer schema, without
    /// keeping them: a manifest being merged can hold tens of thousands. Returns the header.
    ///
    /// - Throws: ``CatalogError`` `invalidMetadata` for anything that is not a readable container,
    ///   and whatever `body` throws.
    @discardableResult
    static func forEachRecord(in bytes: [UInt8], _ body: (AvroSchema, AvroValue) throws -> Void) throws
        -> (schema: AvroSchema, metadata: [String: String]) {
        guard bytes.count >= 4, Array(bytes[0..<4]) == AvroContainerWriter.magic else {
            throw CatalogError(.invalidMetadata, "not an Avro container file")
        }
        var decoder = AvroBinaryDecoder(bytes, offset: 4)
        guard case .map(let raw) = try decoder.read(.map(values: .bytes, keyId: nil, valueId: nil)) else {
            throw CatalogError(.invalidMetadata, "Avro header is malformed")
        }
        var metadata: [String: String] = [:]
        for (key, value) in raw { metadata[key] = value.stringValue }
        guard let schemaJSON = metadata["avro.schema"] else {
            throw CatalogError(.invalidMetadata, "Avro header has no schema")
        }
        guard let codec = AvroCodec(rawValue: metadata["avro.codec"] ?? "null") else {
            throw CatalogError(.invalidMetadata, "unsupported Avro codec", context: ["codec": metadata["avro.codec"] ?? ""])
        }
        let schema = try AvroSchemaCache.schema(json: schemaJSON)
        let sync = try decoder.readRaw(count: 16)
        while !decoder.isAtEnd {
            let count = try decoder.readLong()
            let size = try decoder.readLong()
            guard count >= 0, let length = Int(exactly: size) else {
                throw CatalogError(.invalidMetadata, "Avro block header is malformed")
            }
            let payload = try codec.decompress(try decoder.readRaw(count: length))
            var blockDecoder = AvroBinaryDecoder(payload)
            for _ in 0..<count { try body(schema, try blockDecoder.read(schema)) }
            guard try decoder.readRaw(count: 16) == sync else {
                throw CatalogError(.invalidMetadata, "Avro sync marker mismatch")
            }
        }
        return (schema, metadata)
    }
}

/// Writes an Avro object container file: header (magic, metadata, sync marker), then blocks of records.
///
/// Pure and deterministic: the same records, metadata and sync marker give the same bytes.
/// See <https://avro.apache.org/docs/1.11.1/specification/#object-container-files>.
struct AvroContainerWriter: Sendable {
    static let magic: [UInt8] = [0x4F, 0x62, 0x6A, 0x01]
    /// Records per block before a new block starts.
    static let defaultBlockRecordLimit = 4096

    let schema: AvroSchema
    let codec: AvroCodec
    let syncMarker: [UInt8]
    /// File metadata besides `avro.schema` and `avro.codec`, in writing order.
    let metadata: [(key: String, value: String)]

    /// Closed blocks, already compressed (a large merged manifest is not held uncompressed).
    private var blocks: [(count: Int, payload: [UInt8])] = []
    private var current = AvroBinaryEncoder(reservingCapacity: 4096)
    private var currentCount = 0

    /// - Parameter syncMarker: 16 bytes; use ``randomSyncMarker()`` in production and a constant in tests.
    init(schema: AvroSchema, metadata: [(key: String, value: String)], codec: AvroCodec, syncMarker: [UInt8]) {
        precondition(syncMarker.count == 16, "an Avro sync marker has 16 bytes")
        self.schema = schema
        self.metadata = metadata
        self.codec = codec
        self.syncMarker = syncMarker
    }

    static func randomSyncMarker() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Encodes one record into the current block.
    mutating func append(_ record: AvroValue) throws {
        try current.write(record, as: schema)
        currentCount += 1
        if currentCount >= Self.defaultBlockRecordLimit { try closeBlock() }
    }

    private mutating func closeBlock() throws {
        guard currentCount > 0 else { return }
        blocks.append((currentCount, try codec.compress(current.bytes)))
        current.removeAll()
        currentCount = 0
    }

    /// The complete file.
    mutating func finish() throws -> [UInt8] {
        try closeBlock()
        var out = AvroBinaryEncoder(reservingCapacity: 1024 + blocks.reduce(0) { $0 + $1.payload.count })
        out.writeRaw(Self.magic)
        let entries = [("avro.schema", schema.json), ("avro.codec", codec.rawValue)] + metadata.map { ($0.key, $0.value) }
        out.writeLong(Int64(entries.count))
        for (key, value) in entries {
            out.writeString(key)
            out.writeBytes(Array(value.utf8))
        }
        out.writeLong(0)
        out.writeRaw(syncMarker)
        for block in blocks {
            out.writeLong(Int64(block.count))
            out.writeLong(Int64(block.payload.count))
            out.writeRaw(block.payload)
            out.writeRaw(syncMarker)
        }
        return out.bytes
    }
}

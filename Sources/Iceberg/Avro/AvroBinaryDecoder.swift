/// Decodes Avro binary-encoded datums with the writer's schema.
struct AvroBinaryDecoder {
    private let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var isAtEnd: Bool { offset >= bytes.count }

    private static func truncated() -> CatalogError {
        CatalogError(.invalidMetadata, "Avro data is truncated or malformed")
    }

    mutating func readLong() throws -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw Self.truncated() }
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1)
    }

    mutating func readInt() throws -> Int32 {
        let value = try readLong()
        guard let int = Int32(exactly: value) else { throw Self.truncated() }
        return int
    }

    mutating func readRaw(count: Int) throws -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw Self.truncated() }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func readBytes() throws -> [UInt8] {
        let count = try readLong()
        guard let length = Int(exactly: count) else { throw Self.truncated() }
        return try readRaw(count: length)
    }

    mutating func readString() throws -> String { String(decoding: try readBytes(), as: UTF8.self) }

    /// Reads a block count; negative counts are followed by the block's byte size, which is skipped.
    private mutating func readBlockCount() throws -> Int {
        let count = try readLong()
        if count < 0 {
            _ = try readLong()
            return Int(-count)
        }
        return Int(count)
    }

    mutating func read(_ schema: AvroSchema) throws -> AvroValue {
        switch schema {
        case .null: return .null
        case .boolean:
            let raw = try readRaw(count: 1)
            return .boolean(raw[0] != 0)
        case .int: return .int(try readInt())
        case .long: return .long(try readLong())
        case .float:
            let raw = try readRaw(count: 4)
            let bits = raw.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return .float(Float(bitPattern: bits))
        case .double:
            let raw = try readRaw(count: 8)
            let bits = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return .double(Double(bitPattern: bits))
        case .bytes: return .bytes(try readBytes())
        case .string: return .string(try readString())
        case .logical(let base, _, _): return try read(base)
        case .fixed(_, let size, _): return .fixed(try readRaw(count: size))
        case .enumeration: return .enumeration(Int(try readLong()))
        case .record(_, let fields):
            var values: [AvroValue] = []
            values.reserveCapacity(fields.count)
            for field in fields { values.append(try read(field.type)) }
            return .record(values)
        case .array(let items, _, _):
            var values: [AvroValue] = []
            while true {
                let count = try readBlockCount()
                if count == 0 { break }
                for _ in 0..<count { values.append(try read(items)) }
            }
            return .array(values)
        case .map(let valueSchema, _, _):
            var values: [String: AvroValue] = [:]
            while true {
                let count = try readBlockCount()
                if count == 0 { break }
                for _ in 0..<count {
                    let key = try readString()
                    values[key] = try read(valueSchema)
                }
            }
            return .map(values)
        case .union(let branches):
            let index = try readLong()
            guard index >= 0, Int(index) < branches.count else { throw Self.truncated() }
            return try read(branches[Int(index)])
        }
    }
}

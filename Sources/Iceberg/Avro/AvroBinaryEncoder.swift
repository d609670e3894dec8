import FloeSupport
/// Encodes Avro datums in the binary encoding: zigzag varints, length-prefixed bytes, little-endian floats.
///
/// See <https://avro.apache.org/docs/1.11.1/specification/#binary-encoding>.
struct AvroBinaryEncoder: Sendable {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// A `long`: zigzag, then base-128 varint, least significant group first.
    mutating func writeLong(_ value: Int64) {
        LEB128.appendZigZag(value, to: &bytes)
    }

    /// An `int` is encoded exactly as a `long`.
    mutating func writeInt(_ value: Int32) { writeLong(Int64(value)) }

    mutating func writeBoolean(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func writeFloat(_ value: Float) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func writeDouble(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// `bytes`: a `long` length, then the bytes.
    mutating func writeBytes(_ value: some Collection<UInt8>) {
        writeLong(Int64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func writeString(_ value: String) { writeBytes(value.utf8) }

    mutating func writeRaw(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }

    /// Encodes `value` as described by `schema`.
    ///
    /// - Throws: ``CatalogError`` `invalidArgument` when the value does not fit the schema.
    mutating func write(_ value: AvroValue, as schema: AvroSchema) throws {
        switch (schema, value) {
        case (.null, .null): break
        case (.boolean, .boolean(let v)): writeBoolean(v)
        case (.int, .int(let v)): writeInt(v)
        case (.long, .long(let v)): writeLong(v)
        case (.long, .int(let v)): writeLong(Int64(v))
        case (.float, .float(let v)): writeFloat(v)
        case (.double, .double(let v)): writeDouble(v)
        case (.bytes, .bytes(let v)): writeBytes(v)
        case (.string, .string(let v)): writeString(v)
        case (.logical(let base, _, _), _): try write(value, as: base)
        case (.fixed(_, let size, _), .fixed(let v)) where v.count == size: writeRaw(v)
        case (.enumeration(_, let symbols), .enumeration(let index)) where index < symbols.count: writeLong(Int64(index))
        case (.record(let name, let fields), .record(let values)):
            guard fields.count == values.count else { throw Self.mismatch(name) }
            for (field, fieldValue) in zip(fields, values) {
                try write(fieldValue, as: field.type)
            }
        case (.array(let items, _, _), .array(let values)):
            if !values.isEmpty {
                writeLong(Int64(values.count))
                for item in values { try write(item, as: items) }
            }
            writeLong(0)
        case (.map(let valueSchema, _, _), .map(let values)):
            if !values.isEmpty {
                writeLong(Int64(values.count))
                for (key, item) in values.sorted(by: { $0.key < $1.key }) {
                    writeString(key)
                    try write(item, as: valueSchema)
                }
            }
            writeLong(0)
        case (.union(let branches), _):
            guard let index = branches.firstIndex(where: { Self.accepts($0, value) }) else {
                throw Self.mismatch("union")
            }
            writeLong(Int64(index))
            try write(value, as: branches[index])
        default:
            throw Self.mismatch("\(schema)")
        }
    }

    private static func accepts(_ schema: AvroSchema, _ value: AvroValue) -> Bool {
        switch (schema, value) {
        case (.null, .null), (.boolean, .boolean), (.int, .int), (.long, .long), (.long, .int), (.float, .float),
             (.double, .double), (.bytes, .bytes), (.string, .string), (.fixed, .fixed), (.enumeration, .enumeration),
             (.record, .record), (.array, .array), (.map, .map):
            return true
        case (.logical(let base, _, _), _):
            return accepts(base, value)
        default:
            return false
        }
    }

    private static func mismatch(_ what: String) -> CatalogError {
        CatalogError(.invalidArgument, "value does not match the Avro schema", context: ["schema": String(what.prefix(80))])
    }
}

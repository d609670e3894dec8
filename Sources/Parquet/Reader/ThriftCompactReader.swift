import FloeSupport
/// A Thrift compact protocol decoder over a byte range of an array, for reading Parquet metadata.
///
/// Implements the decoding side of
/// [thrift-compact-protocol.md](https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md):
/// field headers with a 4-bit id delta or a zigzag id, zigzag varint integers, booleans in the
/// field header (one byte each inside lists), length-prefixed binaries, list/set/map headers and
/// nested structs. Nothing is read past `end`: every length and element count is checked against
/// the bytes left, and nesting is limited to `maxDepth`, so malformed input throws instead of
/// crashing or allocating without bound.
///
/// Reading a struct: call `enterStruct()`, then `readFieldHeader()` until it returns nil (the stop
/// byte, which also leaves the struct), reading each known field's value and passing every other
/// field to `skip(_:)`.
struct ThriftCompactReader {
    /// Deepest nesting of structs, lists and maps accepted.
    static let maxDepth = 64

    let bytes: [UInt8]
    /// Index of the next byte to read.
    private(set) var position: Int
    /// Index one past the last byte that may be read.
    let end: Int
    private var lastFieldID: Int = 0
    private var fieldIDStack: [Int] = []
    /// The value of the bool field whose header was read last, which carries it.
    private var headerBool: Bool?

    /// Reads `bytes[range]`; the range is clamped to the array.
    init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        let lower = min(max(range.lowerBound, 0), bytes.count)
        position = lower
        end = min(max(range.upperBound, lower), bytes.count)
    }

    /// Bytes left before `end`.
    var remaining: Int { end - position }

    private static func malformed(_ message: String) -> ParquetError {
        ParquetError(.invalidColumnData, "malformed Thrift metadata: \(message)")
    }

    // MARK: Primitives

    mutating func readByte() throws(ParquetError) -> UInt8 {
        guard position < end else { throw Self.malformed("unexpected end of data") }
        let byte = bytes[position]
        position += 1
        return byte
    }

    /// An unsigned LEB128 varint of at most 10 bytes.
    mutating func readVarint() throws(ParquetError) -> UInt64 {
        guard let value = LEB128.read(bytes, at: &position, end: end) else {
            throw Self.malformed("varint truncated, longer than 10 bytes or over 64 bits")
        }
        return value
    }

    mutating func readZigZag() throws(ParquetError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func readI64() throws(ParquetError) -> Int64 {
        try readZigZag()
    }

    mutating func readI32() throws(ParquetError) -> Int32 {
        let value = try readZigZag()
        guard let narrow = Int32(exactly: value) else { throw Self.malformed("i32 out of range") }
        return narrow
    }

    mutating func readI16() throws(ParquetError) -> Int16 {
        let value = try readZigZag()
        guard let narrow = Int16(exactly: value) else { throw Self.malformed("i16 out of range") }
        return narrow
    }

    /// The range of a binary value's bytes in `bytes`, after its varint length.
    mutating func readBinaryRange() throws(ParquetError) -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(remaining) else { throw Self.malformed("binary length past the end") }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// A string field; invalid UTF-8 is repaired rather than rejected.
    mutating func readString() throws(ParquetError) -> String {
        String(decoding: bytes[try readBinaryRange()], as: UTF8.self)
    }

    /// The value of a bool field, carried by the field header just read.
    mutating func readBoolField() throws(ParquetError) -> Bool {
        guard let value = headerBool else { throw Self.malformed("bool value without a bool field header") }
        headerBool = nil
        return value
    }

    /// A bool list element: one byte, 1 for true and 0 or 2 for false.
    mutating func readBoolElement() throws(ParquetError) -> Bool {
        switch try readByte() {
        case 1: return true
        case 0, 2: return false
        default: throw Self.malformed("invalid bool byte")
        }
    }

    private static func wireType(_ nibble: UInt8) throws(ParquetError) -> ThriftCompactType {
        guard let type = ThriftCompactType(rawValue: nibble) else { throw malformed("unknown type \(nibble)") }
        return type
    }

    // MARK: Structs

    /// Starts reading a struct's fields: field ids restart from zero.
    mutating func enterStruct() throws(ParquetError) {
        guard fieldIDStack.count < Self.maxDepth else { throw Self.malformed("nesting deeper than \(Self.maxDepth)") }
        fieldIDStack.append(lastFieldID)
        lastFieldID = 0
        headerBool = nil
    }

    /// The next field's type and id, or nil at the stop byte, which leaves the struct.
    mutating func readFieldHeader() throws(ParquetError) -> (type: ThriftCompactType, id: Int)? {
        let header = try readByte()
        if header == 0 {
            guard let outer = fieldIDStack.popLast() else { throw Self.malformed("stop byte outside a struct") }
            lastFieldID = outer
            headerBool = nil
            return nil
        }
        let type = try Self.wireType(header & 0x0F)
        let delta = Int(header >> 4)
        let id: Int
        if delta == 0 {
            id = Int(try readI16())
        } else {
            id = lastFieldID + delta
            guard id <= Int(Int16.max) else { throw Self.malformed("field id overflows i16") }
        }
        lastFieldID = id
        switch type {
        case .booleanTrue: headerBool = true
        case .booleanFalse: headerBool = false
        default: headerBool = nil
        }
        return (type, id)
    }

    // MARK: Containers

    /// A list or set header: element type and count, the count at most the bytes left (every
    /// element takes at least one byte).
    mutating func readListHeader() throws(ParquetError) -> (elementType: ThriftCompactType, count: Int) {
        let header = try readByte()
        let type = try Self.wireType(header & 0x0F)
        var count = UInt64(header >> 4)
        if count == 15 { count = try readVarint() }
        guard count <= UInt64(remaining) else { throw Self.malformed("list of \(count) elements past the end") }
        return (type, Int(count))
    }

    /// A list whose elements are read by `element`, one call per element.
    mutating func readList<T>(
        of expected: ThriftCompactType, _ element: (inout ThriftCompactReader) throws(ParquetError) -> T
    ) throws(ParquetError) -> [T] {
        let (type, count) = try readListHeader()
        guard Self.sameKind(type, expected) else { throw Self.malformed("list of \(type) where \(expected) expected") }
        guard fieldIDStack.count < Self.maxDepth else { throw Self.malformed("nesting deeper than \(Self.maxDepth)") }
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count {
            values.append(try element(&self))
        }
        return values
    }

    private static func sameKind(_ a: ThriftCompactType, _ b: ThriftCompactType) -> Bool {
        let isBool: (ThriftCompactType) -> Bool = { $0 == .booleanTrue || $0 == .booleanFalse }
        return a == b || (isBool(a) && isBool(b))
    }

    // MARK: Skipping

    /// Skips a field value (or list element) of any type, nested values included.
    mutating func skip(_ type: ThriftCompactType) throws(ParquetError) {
        try skip(type, depth: fieldIDStack.count, inContainer: false)
    }

    private mutating func skip(_ type: ThriftCompactType, depth: Int, inContainer: Bool) throws(ParquetError) {
        guard depth < Self.maxDepth else { throw Self.malformed("nesting deeper than \(Self.maxDepth)") }
        switch type {
        case .booleanTrue, .booleanFalse:
            // A field's bool is in its header; a container's bool takes one byte.
            if inContainer { _ = try readByte() } else { headerBool = nil }
        case .byte:
            _ = try readByte()
        case .i16, .i32, .i64:
            _ = try readVarint()
        case .double:
            guard remaining >= 8 else { throw Self.malformed("double past the end") }
            position += 8
        case .binary:
            _ = try readBinaryRange()
        case .list, .set:
            let (elementType, count) = try readListHeader()
            for _ in 0..<count {
                try skip(elementType, depth: depth + 1, inContainer: true)
            }
        case .map:
            let count = try readVarint()
            guard count > 0 else { return }
            guard count <= UInt64(remaining / 2) else { throw Self.malformed("map of \(count) entries past the end") }
            let types = try readByte()
            let keyType = try Self.wireType(types >> 4)
            let valueType = try Self.wireType(types & 0x0F)
            for _ in 0..<Int(count) {
                try skip(keyType, depth: depth + 1, inContainer: true)
                try skip(valueType, depth: depth + 1, inContainer: true)
            }
        case .struct:
            try enterStruct()
            while let field = try readFieldHeader() {
                try skip(field.type, depth: depth + 1, inContainer: false)
            }
        }
    }
}

import FloeSupport
/// A Thrift compact protocol encoder that appends to a byte array.
///
/// Implements the encoding of
/// [thrift-compact-protocol.md](https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md):
/// field headers carry the delta to the previous field id when it is 1...15, integers are zigzag
/// ULEB128 varints, booleans live in the field header. ``ThriftCompactReader`` decodes it.
struct CompactProtocolWriter {
    var bytes: [UInt8]
    private var lastFieldID: Int16 = 0
    private var fieldIDStack: [Int16] = []

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Primitives

    mutating func writeVarint(_ value: UInt64) {
        LEB128.append(value, to: &bytes)
    }

    mutating func writeZigZag(_ value: Int64) {
        LEB128.appendZigZag(value, to: &bytes)
    }

    mutating func writeFieldHeader(_ type: ThriftCompactType, id: Int16) {
        let delta = Int(id) - Int(lastFieldID)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            writeZigZag(Int64(id))
        }
        lastFieldID = id
    }

    mutating func writeListHeader(_ elementType: ThriftCompactType, count: Int) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | elementType.rawValue)
        } else {
            bytes.append(0xF0 | elementType.rawValue)
            writeVarint(UInt64(count))
        }
    }

    mutating func writeBinaryValue(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func writeStringValue(_ value: String) {
        writeBinaryValue(value.utf8)
    }

    /// Enters a nested struct: field ids restart from zero.
    mutating func beginStruct() {
        fieldIDStack.append(lastFieldID)
        lastFieldID = 0
    }

    /// Writes the stop byte and returns to the enclosing struct's field ids.
    mutating func endStruct() {
        bytes.append(0)
        lastFieldID = fieldIDStack.popLast() ?? 0
    }

    // MARK: Fields

    mutating func writeBool(field id: Int16, _ value: Bool) {
        writeFieldHeader(value ? .booleanTrue : .booleanFalse, id: id)
    }

    mutating func writeI8(field id: Int16, _ value: Int8) {
        writeFieldHeader(.byte, id: id)
        bytes.append(UInt8(bitPattern: value))
    }

    mutating func writeI32(field id: Int16, _ value: Int32) {
        writeFieldHeader(.i32, id: id)
        writeZigZag(Int64(value))
    }

    mutating func writeI64(field id: Int16, _ value: Int64) {
        writeFieldHeader(.i64, id: id)
        writeZigZag(value)
    }

    mutating func writeBinary(field id: Int16, _ value: some Collection<UInt8>) {
        writeFieldHeader(.binary, id: id)
        writeBinaryValue(value)
    }

    mutating func writeString(field id: Int16, _ value: String) {
        writeBinary(field: id, value.utf8)
    }

    mutating func writeStruct(field id: Int16, _ value: some ThriftStruct) {
        writeFieldHeader(.struct, id: id)
        writeStructValue(value)
    }

    /// Writes a union member that is an empty struct, e.g. `LogicalType.STRING`.
    mutating func writeEmptyStruct(field id: Int16) {
        writeFieldHeader(.struct, id: id)
        beginStruct()
        endStruct()
    }

    mutating func writeStructValue(_ value: some ThriftStruct) {
        beginStruct()
        value.write(to: &self)
        endStruct()
    }

    mutating func writeStructList<S: ThriftStruct>(field id: Int16, _ values: [S]) {
        writeFieldHeader(.list, id: id)
        writeListHeader(.struct, count: values.count)
        for value in values {
            writeStructValue(value)
        }
    }

    mutating func writeI32List(field id: Int16, _ values: [Int32]) {
        writeFieldHeader(.list, id: id)
        writeListHeader(.i32, count: values.count)
        for value in values {
            writeZigZag(Int64(value))
        }
    }

    mutating func writeBinaryList(field id: Int16, _ values: [[UInt8]]) {
        writeFieldHeader(.list, id: id)
        writeListHeader(.binary, count: values.count)
        for value in values {
            writeBinaryValue(value)
        }
    }

    mutating func writeStringList(field id: Int16, _ values: [String]) {
        writeFieldHeader(.list, id: id)
        writeListHeader(.binary, count: values.count)
        for value in values {
            writeStringValue(value)
        }
    }
}

/// A Thrift struct that can write its fields (without the stop byte) in compact protocol.
protocol ThriftStruct {
    func write(to writer: inout CompactProtocolWriter)
}

extension ThriftStruct {
    /// The compact encoding of this struct as a top-level message body, stop byte included.
    func compactEncoded() -> [UInt8] {
        var writer = CompactProtocolWriter()
        writer.writeStructValue(self)
        return writer.bytes
    }
}

/// `KeyValue`: one application-defined metadata entry of the file or a column chunk.
struct KeyValue: ThriftStruct, Sendable, Equatable {
    var key: String
    var value: String?

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeString(field: 1, key)
        if let value { writer.writeString(field: 2, value) }
    }
}

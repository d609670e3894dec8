/// The type nibbles of the Thrift compact protocol, shared by ``CompactProtocolWriter`` and
/// ``ThriftCompactReader``.
enum ThriftCompactType: UInt8, Sendable {
    case booleanTrue = 1
    case booleanFalse = 2
    case byte = 3
    case i16 = 4
    case i32 = 5
    case i64 = 6
    case double = 7
    case binary = 8
    case list = 9
    case set = 10
    case map = 11
    case `struct` = 12
}

/// Writes one table row in Floe's compact buffer encoding.
///
/// Layout: a version byte, then for every non-null column its index (one byte) and value.
/// Strings are a LEB128 length and UTF-8 bytes; timestamps 8 bytes little-endian
/// microseconds; int32 4 bytes little-endian; a string map a LEB128 entry count then per entry
/// a key string and a value tag (0 null, 1 string follows); a string list a LEB128 count then
/// the strings. Null columns take no bytes, and
/// columns may be written in any order. ``RowBatchDecoder`` turns many rows straight into
/// Parquet column buffers.
struct RowEncoder: RowWriter, Sendable {
    static let version: UInt8 = 1

    private(set) var bytes: [UInt8]

    init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(Self.version)
    }

    /// Appends one row to the end of `bytes` (an ``EventBatch``'s rows), which `write` fills in;
    /// the array is moved into the encoder and back, never copied.
    static func append(to bytes: inout [UInt8], _ write: (inout RowEncoder) -> Void) {
        var row = RowEncoder(capacity: 0)
        swap(&row.bytes, &bytes)
        bytes = []
        row.bytes.append(Self.version)
        write(&row)
        swap(&row.bytes, &bytes)
    }

    mutating func string(_ column: Int, _ value: some Collection<UInt8>) {
        bytes.append(UInt8(column))
        appendLength(value.count)
        bytes.append(contentsOf: value)
    }

    mutating func timestamp(_ column: Int, _ micros: Int64) {
        bytes.append(UInt8(column))
        withUnsafeBytes(of: micros.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func int32(_ column: Int, _ value: Int32) {
        bytes.append(UInt8(column))
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A string map; `entries` values of `nil` are stored as null.
    mutating func stringMap(_ column: Int, _ entries: [(key: [UInt8], value: [UInt8]?)]) {
        bytes.append(UInt8(column))
        appendLength(entries.count)
        for entry in entries {
            appendLength(entry.key.count)
            bytes.append(contentsOf: entry.key)
            if let value = entry.value {
                bytes.append(1)
                appendLength(value.count)
                bytes.append(contentsOf: value)
            } else {
                bytes.append(0)
            }
        }
    }

    mutating func stringList(_ column: Int, _ elements: [[UInt8]]) {
        bytes.append(UInt8(column))
        appendLength(elements.count)
        for element in elements {
            appendLength(element.count)
            bytes.append(contentsOf: element)
        }
    }

    private mutating func appendLength(_ length: Int) {
        var value = UInt64(length)
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}

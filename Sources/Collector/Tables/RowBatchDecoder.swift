import Parquet

/// Decodes buffered rows of one table into Parquet column buffers, with no JSON re-parse.
struct RowBatchDecoder {
    /// Why a stored row could not be decoded (a bug or a corrupted buffer, never user input).
    struct DecodingError: Error, CustomStringConvertible {
        var message: String
        var description: String { "buffered row cannot be decoded: \(message)" }
    }

    private let table: TableDefinition
    private var builders: [ColumnBuilder]
    private(set) var rowCount = 0

    init(table: TableDefinition, expectedRows: Int = 0) {
        self.table = table
        builders = table.columns.map { ColumnBuilder(kind: $0.kind, expectedRows: expectedRows) }
    }

    /// Appends one encoded row.
    mutating func append(_ payload: [UInt8]) throws(DecodingError) {
        try append(payload[...])
    }

    /// Appends one encoded row given as a slice (of a buffered chunk).
    mutating func append(_ payload: ArraySlice<UInt8>) throws(DecodingError) {
        var reader = ByteReader(bytes: payload)
        guard try reader.byte() == RowEncoder.version else { throw DecodingError(message: "unknown row version") }
        var seen: UInt64 = 0
        while !reader.atEnd {
            let column = Int(try reader.byte())
            guard column < builders.count, seen & (1 << UInt64(column)) == 0 else {
                throw DecodingError(message: "bad column index \(column)")
            }
            seen |= 1 << UInt64(column)
            try builders[column].appendValue(from: &reader)
        }
        for column in builders.indices where seen & (1 << UInt64(column)) == 0 {
            if table.columns[column].required {
                throw DecodingError(message: "required column \(table.columns[column].name) is missing")
            }
            builders[column].appendNull()
        }
        rowCount += 1
    }

    /// Appends every row of `other` (same table) after this decoder's rows.
    mutating func append(contentsOf other: RowBatchDecoder) {
        for index in builders.indices { builders[index].append(contentsOf: other.builders[index]) }
        rowCount += other.rowCount
    }

    /// The finished columns, in table order.
    func columns() -> [ColumnData] {
        builders.map { $0.columnData() }
    }
}

/// A bounds-checked cursor over a stored row.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var atEnd: Bool { index >= bytes.endIndex }

    mutating func byte() throws(RowBatchDecoder.DecodingError) -> UInt8 {
        guard index < bytes.endIndex else { throw .init(message: "truncated row") }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func length() throws(RowBatchDecoder.DecodingError) -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            value |= UInt64(next & 0x7F) << shift
            if next < 0x80 { break }
            shift += 7
            if shift > 35 { throw .init(message: "length too large") }
        }
        return Int(value)
    }

    mutating func slice(_ count: Int) throws(RowBatchDecoder.DecodingError) -> ArraySlice<UInt8> {
        guard count >= 0, index + count <= bytes.endIndex else { throw .init(message: "truncated value") }
        defer { index += count }
        return bytes[index..<index + count]
    }

    mutating func int64() throws(RowBatchDecoder.DecodingError) -> Int64 {
        let raw = try slice(8)
        var value: UInt64 = 0
        for (shift, byte) in raw.enumerated() { value |= UInt64(byte) << UInt64(shift * 8) }
        return Int64(bitPattern: value)
    }

    mutating func int32() throws(RowBatchDecoder.DecodingError) -> Int32 {
        let raw = try slice(4)
        var value: UInt32 = 0
        for (shift, byte) in raw.enumerated() { value |= UInt32(byte) << UInt32(shift * 8) }
        return Int32(bitPattern: value)
    }
}

import Parquet

/// Decodes buffered rows of one table into Parquet column buffers, with no JSON re-parse.
package struct RowBatchDecoder {
    /// Why a stored row could not be decoded (a bug or a corrupted buffer, never user input).
    package struct DecodingError: Error, CustomStringConvertible {
        var message: String
        package var description: String { "buffered row cannot be decoded: \(message)" }
    }

    private let table: TableDefinition
    private var storage: ColumnStorage
    /// One bit per required column (by index).
    private let required: UInt64
    package private(set) var rowCount = 0

    /// A decoder with room for `expectedRows`; with none expected, `startsSmall` leaves each column to grow from
    /// nothing instead of taking ``ColumnBuilder/roomyStringCapacity`` at its first string (for the many
    /// partitions of a backfill whose input spreads over many hours: a page per column each adds up).
    package init(table: TableDefinition, expectedRows: Int = 0, startsSmall: Bool = false) {
        self.table = table
        storage = ColumnStorage(table.columns.map {
            ColumnBuilder(kind: $0.kind, expectedRows: expectedRows, startsSmall: startsSmall)
        })
        required = table.columns.indices.reduce(0) { table.columns[$1].required ? $0 | (1 << UInt64($1)) : $0 }
    }

    /// The builders, copied first when another decoder shares them.
    private mutating func uniqueBuilders() -> UnsafeMutableBufferPointer<ColumnBuilder> {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage.builders
    }

    /// Appends one encoded row.
    package mutating func append(_ payload: [UInt8]) throws(DecodingError) {
        try append(payload[...])
    }

    /// Appends one encoded row given as a slice (of a buffered chunk).
    package mutating func append(_ payload: ArraySlice<UInt8>) throws(DecodingError) {
        let builders = uniqueBuilders()
        let rowCount = rowCount
        // Read through a pointer: slices of the chunk would retain it once per value.
        let seen = try payload.withUnsafeBufferPointer { (bytes) throws(DecodingError) -> UInt64 in
            var reader = ByteReader(bytes: bytes)
            guard try reader.byte() == RowEncoder.version else { throw DecodingError(message: "unknown row version") }
            var seen: UInt64 = 0
            while !reader.atEnd {
                let column = Int(try reader.byte())
                guard column < builders.count, seen & (1 << UInt64(column)) == 0 else {
                    throw DecodingError(message: "bad column index \(column)")
                }
                seen |= 1 << UInt64(column)
                builders[column].fillNulls(upTo: rowCount)
                try builders[column].appendValue(from: &reader)
            }
            return seen
        }
        try checkRequired(written: seen)
        self.rowCount += 1
    }

    /// Appends one row written by `write` straight into the column buffers (no buffer encoding).
    mutating func appendRow(_ write: (inout ColumnRowWriter) -> Void) throws(DecodingError) {
        var writer = startRow()
        write(&writer)
        try finishRow(writer)
    }

    /// A writer for the next row, for callers that write without a closure (which would copy what it
    /// captures once per row). Nothing else may change the decoder until ``finishRow(_:)``.
    mutating func startRow() -> ColumnRowWriter {
        ColumnRowWriter(builders: uniqueBuilders(), row: rowCount)
    }

    /// Counts the row `writer` wrote, or refuses it: a column written twice or a required one left out.
    mutating func finishRow(_ writer: ColumnRowWriter) throws(DecodingError) {
        if let column = writer.badColumn { throw DecodingError(message: "column \(column) written twice or out of range") }
        try checkRequired(written: writer.written)
        rowCount += 1
    }

    /// Refuses a row that left out a required column. Columns it left out take a null lazily
    /// (``ColumnBuilder/fillNulls(upTo:)``): a row costs nothing in them.
    private func checkRequired(written: UInt64) throws(DecodingError) {
        let missing = required & ~written
        guard missing == 0 else {
            throw DecodingError(message: "required column \(table.columns[missing.trailingZeroBitCount].name) is missing")
        }
    }

    /// The finished columns, in table order.
    package func columns() -> [ColumnData] {
        Self.columns(joining: [self], table: table)
    }

    /// The rows of `pieces` (decoders of `table`), one after the other, as finished columns in
    /// table order: each value is copied once, from the pieces into the column data.
    package static func columns(joining pieces: [RowBatchDecoder], table: TableDefinition) -> [ColumnData] {
        withExtendedLifetime(pieces) {
            table.columns.indices.map { index in
                ColumnBuilder.columnData(table.columns[index].kind,
                                         joining: pieces.map { ($0.storage.builders[index], $0.rowCount) })
            }
        }
    }
}

/// Writes one row's values into a decoder's column builders, for ``RowBatchDecoder/appendRow(_:)`` and
/// ``RowBatchDecoder/startRow()``.
struct ColumnRowWriter: RowWriter {
    private let builders: UnsafeMutableBufferPointer<ColumnBuilder>
    /// The row being written (the decoder's row count).
    private let row: Int
    private(set) var written: UInt64 = 0
    /// A column written twice or out of range (a normalizer bug): the row is refused.
    private(set) var badColumn: Int?

    fileprivate init(builders: UnsafeMutableBufferPointer<ColumnBuilder>, row: Int) {
        self.builders = builders
        self.row = row
    }

    /// Whether `column` may take a value (then the rows it skipped are null); a bad write is
    /// recorded, not applied.
    private mutating func claim(_ column: Int) -> Bool {
        guard column >= 0, column < builders.count, written & (1 << UInt64(column)) == 0 else {
            badColumn = column
            return false
        }
        written |= 1 << UInt64(column)
        builders[column].fillNulls(upTo: row)
        return true
    }

    mutating func string(_ column: Int, _ value: some Collection<UInt8>) {
        if claim(column) { builders[column].appendString(value) }
    }

    mutating func timestamp(_ column: Int, _ micros: Int64) {
        if claim(column) { builders[column].appendTimestamp(micros) }
    }

    mutating func int32(_ column: Int, _ value: Int32) {
        if claim(column) { builders[column].appendInt32(value) }
    }

    mutating func stringMap(_ column: Int, _ entries: [(key: [UInt8], value: [UInt8]?)]) {
        if claim(column) { builders[column].appendMap(entries) }
    }

    mutating func stringList(_ column: Int, _ elements: [[UInt8]]) {
        if claim(column) { builders[column].appendList(elements) }
    }
}

/// A bounds-checked cursor over a stored row, valid while the row's bytes are borrowed.
struct ByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int

    init(bytes: UnsafeBufferPointer<UInt8>) {
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

    mutating func slice(_ count: Int) throws(RowBatchDecoder.DecodingError) -> UnsafeBufferPointer<UInt8> {
        guard count >= 0, count <= bytes.endIndex - index else { throw .init(message: "truncated value") }
        defer { index += count }
        return UnsafeBufferPointer(rebasing: bytes[index..<index + count])
    }

    /// Little-endian, as ``RowEncoder`` writes it.
    mutating func int64() throws(RowBatchDecoder.DecodingError) -> Int64 {
        Int64(littleEndian: UnsafeRawBufferPointer(try slice(8)).loadUnaligned(as: Int64.self))
    }

    mutating func int32() throws(RowBatchDecoder.DecodingError) -> Int32 {
        Int32(littleEndian: UnsafeRawBufferPointer(try slice(4)).loadUnaligned(as: Int32.self))
    }
}

import Parquet

/// Accumulates one column's values; ``columnData(_:joining:)`` turns them into the typed buffers
/// the Parquet writer takes.
///
/// Plain values (strings, integers, null rows) go to ``GrowableBuffer``s, so appending one costs a
/// capacity check and a copy. A builder does not free them: the ``ColumnStorage`` holding it does.
struct ColumnBuilder {
    let kind: TableDefinition.ColumnKind
    /// String values back to back, and where each one ends in `bytes`.
    private var bytes = GrowableBuffer<UInt8>()
    private var ends = GrowableBuffer<Int32>()
    private var int64s = GrowableBuffer<Int64>()
    private var int32s = GrowableBuffer<Int32>()
    /// Rows accounted for so far, and which of them are null: validity is built once, in
    /// ``columnData(_:joining:)``, so appending a value touches only the value buffer.
    private var rows = 0
    private var nullRows = GrowableBuffer<Int32>()
    // Map and list columns (a few per rejected line, none per event): `keys` holds a map's keys
    // or a list's elements, `offsets` each row's end in them.
    private var offsets: [Int32] = []
    private var keys = ByteArrayBuffer()
    private var values = ByteArrayBuffer()
    private var valueValidity: [Bool] = []
    private var valueNulls = 0
    /// Bytes a string column reserves when it takes its first value (with no rows expected).
    private let firstStringCapacity: Int

    /// A builder that reserves room for `expectedRows`, or with none expected, ``roomyStringCapacity`` (or,
    /// `startsSmall`, nothing) once a string arrives.
    init(kind: TableDefinition.ColumnKind, expectedRows: Int, startsSmall: Bool = false) {
        self.kind = kind
        firstStringCapacity = startsSmall ? 0 : Self.roomyStringCapacity
        switch kind {
        case .string:
            bytes.reserveCapacity(expectedRows * 32)
            ends.reserveCapacity(expectedRows)
        case .timestamp: int64s.reserveCapacity(expectedRows)
        case .int32: int32s.reserveCapacity(expectedRows)
        case .stringMap, .stringList:
            offsets = [0]
            offsets.reserveCapacity(expectedRows + 1)
        }
    }

    /// What a string column reserves for its first value unless it starts small: 16 KiB. Only the pages
    /// written are resident, but each column's first value takes a page of its own.
    static let roomyStringCapacity = 16 << 10

    /// An independent builder holding the same values.
    func copy() -> ColumnBuilder {
        var copy = self
        copy.bytes = bytes.copy()
        copy.ends = ends.copy()
        copy.int64s = int64s.copy()
        copy.int32s = int32s.copy()
        copy.nullRows = nullRows.copy()
        return copy
    }

    /// Frees the plain values' memory (the builder's ``ColumnStorage`` does, once).
    mutating func deallocate() {
        bytes.deallocate()
        ends.deallocate()
        int64s.deallocate()
        int32s.deallocate()
        nullRows.deallocate()
    }

    /// Records rows up to `row` (exclusive) that this column has no value for as null: the rows a
    /// decoder added without this column. Called before each value, and when the data is built,
    /// so a row costs nothing in the columns it leaves out.
    @inline(__always)
    mutating func fillNulls(upTo row: Int) {
        if rows < row { appendNulls(row - rows) }
    }

    private mutating func appendNulls(_ count: Int) {
        for _ in 0..<count {
            nullRows.append(Int32(truncatingIfNeeded: rows))
            rows += 1
        }
        if isNested, let last = offsets.last { offsets.append(contentsOf: repeatElement(last, count: count)) }
    }

    mutating func appendValue(from reader: inout ByteReader) throws(RowBatchDecoder.DecodingError) {
        switch kind {
        case .string:
            let count = try reader.length()
            appendString(try reader.slice(count))
        case .timestamp:
            appendTimestamp(try reader.int64())
        case .int32:
            appendInt32(try reader.int32())
        case .stringMap:
            rows += 1
            let entries = try reader.length()
            for _ in 0..<entries {
                let keyLength = try reader.length()
                keys.append(try reader.slice(keyLength))
                if try reader.byte() == 1 {
                    let valueLength = try reader.length()
                    appendMapValue(try reader.slice(valueLength))
                } else {
                    appendMapValue(nil as UnsafeBufferPointer<UInt8>?)
                }
            }
            offsets.append(Int32(keys.count))
        case .stringList:
            rows += 1
            let elements = try reader.length()
            for _ in 0..<elements {
                let length = try reader.length()
                keys.append(try reader.slice(length))
            }
            offsets.append(Int32(keys.count))
        }
    }

    private var isNested: Bool {
        switch kind {
        case .stringMap, .stringList: true
        case .string, .timestamp, .int32: false
        }
    }

    mutating func appendString(_ value: some Collection<UInt8>) {
        assert(kind == .string, "string written to a \(kind) column")
        rows += 1
        // A column that takes values at all starts with room for a few pages' worth, skipping the
        // many small regrowths of an empty buffer (columns that stay empty allocate nothing).
        if bytes.capacity == 0, firstStringCapacity > 0 {
            bytes.reserveCapacity(firstStringCapacity)
            ends.reserveCapacity(128)
        }
        if value.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            for byte in value { bytes.append(byte) }
        }
        ends.append(Int32(truncatingIfNeeded: bytes.count))
    }

    mutating func appendTimestamp(_ micros: Int64) {
        assert(kind == .timestamp, "timestamp written to a \(kind) column")
        rows += 1
        int64s.append(micros)
    }

    mutating func appendInt32(_ value: Int32) {
        assert(kind == .int32, "int32 written to a \(kind) column")
        rows += 1
        int32s.append(value)
    }

    mutating func appendMap(_ entries: [(key: [UInt8], value: [UInt8]?)]) {
        rows += 1
        for entry in entries {
            keys.append(entry.key[...])
            appendMapValue(entry.value?[...])
        }
        offsets.append(Int32(keys.count))
    }

    mutating func appendList(_ elements: [[UInt8]]) {
        rows += 1
        for element in elements { keys.append(element[...]) }
        offsets.append(Int32(keys.count))
    }

    private mutating func appendMapValue(_ value: (some Collection<UInt8>)?) {
        if let value {
            values.append(value)
            valueValidity.append(true)
        } else {
            valueValidity.append(false)
            valueNulls += 1
        }
    }

    /// The values of `parts` (builders of one column, in row order, each with the row count of its
    /// decoder) as one column's data: each value is copied once, straight into the buffers the
    /// Parquet writer takes. Rows past a part's last value are null.
    static func columnData(_ kind: TableDefinition.ColumnKind, joining parts: [(builder: ColumnBuilder, rows: Int)]) -> ColumnData {
        let rows = parts.reduce(0) { $0 + $1.rows }
        var rowValidity: [Bool]?
        if parts.contains(where: { $0.builder.nullRows.count > 0 || $0.builder.rows < $0.rows }) {
            var validity = [Bool](repeating: true, count: rows)
            var base = 0
            for (part, partRows) in parts {
                for row in part.nullRows.values { validity[base + Int(row)] = false }
                // (A row that threw half-written leaves a column past its decoder's count: the
                // writer then refuses the data, nothing traps here.)
                for row in min(part.rows, partRows)..<partRows { validity[base + row] = false }
                base += partRows
            }
            rowValidity = validity
        }
        switch kind {
        case .string:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(parts.reduce(0) { $0 + $1.builder.bytes.count })
            var offsets: [Int32] = [0]
            offsets.reserveCapacity(parts.reduce(1) { $0 + $1.builder.ends.count })
            for (part, _) in parts {
                let base = Int32(truncatingIfNeeded: bytes.count)
                bytes.append(contentsOf: part.bytes.values)
                offsets.append(contentsOf: part.ends.values.lazy.map { $0 + base })
            }
            return .byteArray(ByteArrayBuffer(bytes: bytes, offsets: offsets), validity: rowValidity)
        case .timestamp:
            return .int64(joined(parts.map(\.builder.int64s)), validity: rowValidity)
        case .int32:
            return .int32(joined(parts.map(\.builder.int32s)), validity: rowValidity)
        case .stringMap, .stringList:
            var nested = ColumnBuilder(kind: kind, expectedRows: 0)
            for (part, partRows) in parts {
                let base = Int32(nested.keys.count)
                nested.offsets.append(contentsOf: part.offsets.dropFirst().map { $0 + base })
                nested.offsets.append(contentsOf: repeatElement(nested.offsets.last ?? 0, count: max(0, partRows - part.rows)))
                nested.keys.append(contentsOf: part.keys)
                nested.values.append(contentsOf: part.values)
                nested.valueValidity.append(contentsOf: part.valueValidity)
                nested.valueNulls += part.valueNulls
            }
            if case .stringList = kind {
                return .list(offsets: nested.offsets, validity: rowValidity, elements: .byteArray(nested.keys, validity: nil))
            }
            return .map(offsets: nested.offsets, validity: rowValidity,
                        keys: .byteArray(nested.keys, validity: nil),
                        values: .byteArray(nested.values, validity: nested.valueNulls == 0 ? nil : nested.valueValidity))
        }
    }

    private static func joined<Value>(_ parts: [GrowableBuffer<Value>]) -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { values.append(contentsOf: part.values) }
        return values
    }
}

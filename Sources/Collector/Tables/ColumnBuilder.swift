import Parquet

/// Accumulates one column's values in the typed buffers the Parquet writer takes.
struct ColumnBuilder {
    let kind: TableDefinition.ColumnKind
    private var strings = ByteArrayBuffer()
    private var int64s: [Int64] = []
    private var int32s: [Int32] = []
    /// Rows so far, and which of them are null: validity is built once, in ``columnData()``,
    /// so appending a value touches only the value buffer.
    private var rows = 0
    private var nullRows: [Int32] = []
    // Map and list columns: `keys` holds a map's keys or a list's elements.
    private var offsets: [Int32] = [0]
    private var keys = ByteArrayBuffer()
    private var values = ByteArrayBuffer()
    private var valueValidity: [Bool] = []
    private var valueNulls = 0

    init(kind: TableDefinition.ColumnKind, expectedRows: Int) {
        self.kind = kind
        switch kind {
        case .string: strings.reserveCapacity(values: expectedRows, bytes: expectedRows * 32)
        case .timestamp: int64s.reserveCapacity(expectedRows)
        case .int32: int32s.reserveCapacity(expectedRows)
        case .stringMap, .stringList: offsets.reserveCapacity(expectedRows + 1)
        }
    }

    mutating func appendNull() {
        nullRows.append(Int32(truncatingIfNeeded: rows))
        rows += 1
        if isNested { offsets.append(offsets[offsets.count - 1]) }
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
                    appendMapValue(nil as ArraySlice<UInt8>?)
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
        // many small regrowths of an empty array (columns that stay empty allocate nothing).
        if strings.bytes.capacity == 0 { strings.reserveCapacity(values: 128, bytes: 16 << 10) }
        strings.append(value)
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

    private mutating func appendMapValue(_ value: ArraySlice<UInt8>?) {
        if let value {
            values.append(value)
            valueValidity.append(true)
        } else {
            valueValidity.append(false)
            valueNulls += 1
        }
    }

    /// Appends every value of `other` (same kind) after this column's values.
    mutating func append(contentsOf other: ColumnBuilder) {
        let rowBase = Int32(truncatingIfNeeded: rows)
        nullRows.append(contentsOf: other.nullRows.lazy.map { $0 + rowBase })
        rows += other.rows
        switch kind {
        case .string: strings.append(contentsOf: other.strings)
        case .timestamp: int64s.append(contentsOf: other.int64s)
        case .int32: int32s.append(contentsOf: other.int32s)
        case .stringMap, .stringList:
            let base = Int32(keys.count)
            offsets.append(contentsOf: other.offsets.dropFirst().map { $0 + base })
            keys.append(contentsOf: other.keys)
            values.append(contentsOf: other.values)
            valueValidity.append(contentsOf: other.valueValidity)
            valueNulls += other.valueNulls
        }
    }

    func columnData() -> ColumnData {
        var rowValidity: [Bool]?
        if !nullRows.isEmpty {
            var validity = [Bool](repeating: true, count: rows)
            for row in nullRows { validity[Int(row)] = false }
            rowValidity = validity
        }
        switch kind {
        case .string: return .byteArray(strings, validity: rowValidity)
        case .timestamp: return .int64(int64s, validity: rowValidity)
        case .int32: return .int32(int32s, validity: rowValidity)
        case .stringMap:
            return .map(offsets: offsets, validity: rowValidity,
                        keys: .byteArray(keys, validity: nil),
                        values: .byteArray(values, validity: valueNulls == 0 ? nil : valueValidity))
        case .stringList:
            return .list(offsets: offsets, validity: rowValidity, elements: .byteArray(keys, validity: nil))
        }
    }
}

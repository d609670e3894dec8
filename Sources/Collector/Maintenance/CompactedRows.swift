import Parquet

/// Rows read back from data files for compaction, one growing column per table column, sorted by the
/// table's time column when taken out.
///
/// Values are kept row-aligned (a null holds an empty string or zero beside a false validity) so that
/// sorting is one permutation applied to every column; ``take()`` returns the dense columns the Parquet
/// writer takes and leaves the buffer empty for the next row group.
struct CompactedRows {
    private enum Values {
        case strings(ByteArrayBuffer)
        case int64s([Int64])
        case int32s([Int32])
        /// A map's keys or a list's elements, row `r` holding entries `offsets[r]..<offsets[r + 1]`; a map's
        /// values beside its keys (a null value empty, with a false `valueValidity`).
        case nested(Nested)
    }

    private struct Nested {
        var isMap: Bool
        var offsets: [Int32] = [0]
        var keys = ByteArrayBuffer()
        var values = ByteArrayBuffer()
        var valueValidity: [Bool] = []
    }

    private struct Column {
        var values: Values
        var validity: [Bool] = []
    }

    private let definition: TableDefinition
    private var columns: [Column]
    private(set) var rowCount = 0
    /// Bytes of values held (strings by length, numbers by width).
    private(set) var byteCount = 0
    /// Timestamp and int32 columns, counted 8 bytes a row in ``byteCount``.
    private let numericColumns: Int

    init(definition: TableDefinition) {
        self.definition = definition
        columns = definition.columns.map { Self.emptyColumn($0.kind) }
        numericColumns = definition.columns.filter { $0.kind == .timestamp || $0.kind == .int32 }.count
    }

    private static func emptyColumn(_ kind: TableDefinition.ColumnKind) -> Column {
        switch kind {
        case .timestamp: Column(values: .int64s([]))
        case .int32: Column(values: .int32s([]))
        case .string: Column(values: .strings(ByteArrayBuffer()))
        case .stringMap: Column(values: .nested(Nested(isMap: true)))
        case .stringList: Column(values: .nested(Nested(isMap: false)))
        }
    }

    /// Appends the rows of one file: `data[i]` holds column `i` of the definition (nil: the file lacks
    /// that column, its rows are null there), every column `rows` long; rows in `deleted` are skipped.
    ///
    /// - Throws: `ParquetError` `.schemaMismatch` when a column's type does not fit the definition,
    ///   `.invalidColumnData` when a column's length is not `rows`.
    mutating func append(_ data: [ColumnData?], rows: Int, deleted: Set<Int64>) throws(ParquetError) {
        let kept = rows - deleted.lazy.filter { $0 >= 0 && $0 < Int64(rows) }.count
        for (index, column) in data.enumerated() {
            try append(column, to: index, rows: rows, kept: kept, deleted: deleted)
        }
        rowCount += kept
        byteCount += kept * 8 * numericColumns
    }

    private static func mismatch(_ column: String) -> ParquetError {
        ParquetError(.schemaMismatch, "column type differs from the table definition", context: ["column": column])
    }

    /// `kept`: the rows of `rows` not in `deleted`.
    private mutating func append(_ data: ColumnData?, to index: Int, rows: Int, kept: Int,
                                 deleted: Set<Int64>) throws(ParquetError) {
        let name = definition.columns[index].name
        func validity(_ validity: [Bool]?, dense: Int) throws(ParquetError) -> [Bool]? {
            guard let validity else {
                guard dense == rows else { throw ParquetError(.invalidColumnData, "column length differs", context: ["column": name]) }
                return nil
            }
            guard validity.count == rows, validity.lazy.filter({ $0 }).count == dense else {
                throw ParquetError(.invalidColumnData, "column length differs", context: ["column": name])
            }
            return validity
        }
        var column = columns[index]
        // Leaves the copy the only owner of its storage, so appending does not copy it.
        columns[index].values = .int32s([])
        columns[index].validity = []
        defer { columns[index] = column }
        switch (column.values, data) {
        case (.strings(var buffer), .byteArray(let values, let valid)):
            let valid = try validity(valid, dense: values.count)
            var next = 0
            for row in 0..<rows {
                let present = valid?[row] ?? true
                var start = 0, end = 0
                if present {
                    start = Int(values.offsets[next])
                    end = Int(values.offsets[next + 1])
                    next += 1
                }
                if deleted.contains(Int64(row)) { continue }
                buffer.append(values.bytes[start..<end])
                column.validity.append(present)
                byteCount += end - start
            }
            column.values = .strings(buffer)
        case (.strings(var buffer), nil):
            for _ in 0..<kept { buffer.append(EmptyCollection<UInt8>()) }
            column.validity.append(contentsOf: repeatElement(false, count: kept))
            column.values = .strings(buffer)
        case (.int64s(var numbers), _):
            numbers = try Self.appendNumbers(numbers, data, rows: rows, kept: kept, deleted: deleted, validity: &column.validity,
                                             column: name) { data throws(ParquetError) in
                guard case .int64(let values, let valid) = data else { throw Self.mismatch(name) }
                return (values, try validity(valid, dense: values.count))
            }
            column.values = .int64s(numbers)
        case (.int32s(var numbers), _):
            numbers = try Self.appendNumbers(numbers, data, rows: rows, kept: kept, deleted: deleted, validity: &column.validity,
                                             column: name) { data throws(ParquetError) in
                guard case .int32(let values, let valid) = data else { throw Self.mismatch(name) }
                return (values, try validity(valid, dense: values.count))
            }
            column.values = .int32s(numbers)
        case (.nested(var nested), _):
            let before = nested.keys.bytes.count + nested.values.bytes.count + 4 * nested.offsets.count
            try Self.appendNested(&nested, data, rows: rows, kept: kept, deleted: deleted, validity: &column.validity, column: name)
            byteCount += nested.keys.bytes.count + nested.values.bytes.count + 4 * nested.offsets.count - before
            column.values = .nested(nested)
        default:
            throw Self.mismatch(name)
        }
    }

    private static func appendNested(_ nested: inout Nested, _ data: ColumnData?, rows: Int, kept: Int, deleted: Set<Int64>,
                                     validity: inout [Bool], column: String) throws(ParquetError) {
        let offsets: [Int32], rowValidity: [Bool]?, keys: ByteArrayBuffer
        var values: ByteArrayBuffer?, valueValidity: [Bool]?
        switch data {
        case nil:
            nested.offsets.append(contentsOf: repeatElement(nested.offsets[nested.offsets.count - 1], count: kept))
            validity.append(contentsOf: repeatElement(false, count: kept))
            return
        case .map(let o, let v, .byteArray(let k, nil), .byteArray(let vals, let valid)) where nested.isMap:
            (offsets, rowValidity, keys, values, valueValidity) = (o, v, k, vals, valid)
        case .list(let o, let v, .byteArray(let k, nil)) where !nested.isMap:
            (offsets, rowValidity, keys) = (o, v, k)
        default:
            throw Self.mismatch(column)
        }
        guard offsets.count == rows + 1, rowValidity.map({ $0.count == rows }) ?? true,
              Int(offsets[rows]) == keys.count, valueValidity.map({ $0.count == keys.count }) ?? true else {
            throw ParquetError(.invalidColumnData, "column length differs", context: ["column": column])
        }
        var nextValue = 0
        for row in 0..<rows {
            let entries = Int(offsets[row])..<Int(offsets[row + 1])
            let keep = !deleted.contains(Int64(row))
            for entry in entries {
                if keep { nested.keys.append(keys.bytes[Int(keys.offsets[entry])..<Int(keys.offsets[entry + 1])]) }
                guard let values else { continue }
                let present = valueValidity?[entry] ?? true
                var range = 0..<0
                if present {
                    guard nextValue < values.count else {
                        throw ParquetError(.invalidColumnData, "fewer map values than keys", context: ["column": column])
                    }
                    range = Int(values.offsets[nextValue])..<Int(values.offsets[nextValue + 1])
                    nextValue += 1
                }
                if keep {
                    nested.values.append(values.bytes[range])
                    nested.valueValidity.append(present)
                }
            }
            if keep {
                nested.offsets.append(Int32(nested.keys.count))
                validity.append(rowValidity?[row] ?? true)
            }
        }
    }

    private static func appendNumbers<T: FixedWidthInteger>(
        _ numbers: [T], _ data: ColumnData?, rows: Int, kept: Int, deleted: Set<Int64>, validity: inout [Bool], column: String,
        unpack: (ColumnData) throws(ParquetError) -> ([T], [Bool]?)
    ) throws(ParquetError) -> [T] {
        var numbers = numbers
        guard let data else {
            numbers.append(contentsOf: repeatElement(0, count: kept))
            validity.append(contentsOf: repeatElement(false, count: kept))
            return numbers
        }
        let (values, valid) = try unpack(data)
        var next = 0
        for row in 0..<rows {
            let present = valid?[row] ?? true
            var value: T = 0
            if present {
                value = values[next]
                next += 1
            }
            if deleted.contains(Int64(row)) { continue }
            numbers.append(value)
            validity.append(present)
        }
        return numbers
    }

    /// The rows held, sorted by the time column (nulls first, ties in arrival order), as dense columns in
    /// definition order; the buffer is empty afterwards.
    mutating func take() -> [ColumnData] {
        let order = sortOrder()
        let taken = columns.map { column -> ColumnData in
            let validity: [Bool]? = column.validity.contains(false) ? order.map { column.validity[$0] } : nil
            switch column.values {
            case .strings(let buffer):
                var sorted = ByteArrayBuffer()
                sorted.reserveCapacity(values: buffer.count, bytes: buffer.bytes.count)
                for row in order where column.validity[row] {
                    sorted.append(buffer.bytes[Int(buffer.offsets[row])..<Int(buffer.offsets[row + 1])])
                }
                return .byteArray(sorted, validity: validity)
            case .int64s(let numbers):
                return .int64(order.compactMap { column.validity[$0] ? numbers[$0] : nil }, validity: validity)
            case .int32s(let numbers):
                return .int32(order.compactMap { column.validity[$0] ? numbers[$0] : nil }, validity: validity)
            case .nested(let nested):
                var sorted = Nested(isMap: nested.isMap)
                for row in order {
                    for entry in Int(nested.offsets[row])..<Int(nested.offsets[row + 1]) {
                        sorted.keys.append(nested.keys.bytes[Int(nested.keys.offsets[entry])..<Int(nested.keys.offsets[entry + 1])])
                        guard nested.isMap else { continue }
                        sorted.values.append(nested.values.bytes[Int(nested.values.offsets[entry])..<Int(nested.values.offsets[entry + 1])])
                        sorted.valueValidity.append(nested.valueValidity[entry])
                    }
                    sorted.offsets.append(Int32(sorted.keys.count))
                }
                guard sorted.isMap else {
                    return .list(offsets: sorted.offsets, validity: validity, elements: .byteArray(sorted.keys, validity: nil))
                }
                // The writer takes a map's values dense, nulls left out.
                var dense = ByteArrayBuffer()
                for (entry, present) in sorted.valueValidity.enumerated() where present {
                    dense.append(sorted.values.bytes[Int(sorted.values.offsets[entry])..<Int(sorted.values.offsets[entry + 1])])
                }
                return .map(offsets: sorted.offsets, validity: validity, keys: .byteArray(sorted.keys, validity: nil),
                            values: .byteArray(dense, validity: sorted.valueValidity.contains(false) ? sorted.valueValidity : nil))
            }
        }
        columns = definition.columns.map { Self.emptyColumn($0.kind) }
        rowCount = 0
        byteCount = 0
        return taken
    }

    private func sortOrder() -> [Int] {
        let time = columns[definition.timeColumn]
        guard case .int64s(let micros) = time.values else { return Array(0..<rowCount) }
        return (0..<rowCount).sorted { a, b in
            let left = time.validity[a] ? micros[a] : Int64.min, right = time.validity[b] ? micros[b] : Int64.min
            return left == right ? a < b : left < right
        }
    }
}

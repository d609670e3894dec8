#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Null count and exact bounds of a column chunk, mergeable across chunks, encoded on demand.
///
/// Ordering follows `TYPE_ORDER` of [parquet.thrift `ColumnOrder`](https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift):
/// signed for integers, unsigned lexicographic for byte arrays, NaN ignored for floats.
struct ColumnStatistics: Sendable, Equatable {
    enum Bound: Sendable, Equatable {
        case boolean(Bool)
        case int32(Int32)
        case int64(Int64)
        case float(Float)
        case double(Double)
        case bytes([UInt8])
        case uint32(UInt32)
        case uint64(UInt64)
        /// A FIXED_LEN_BYTE_ARRAY value: never truncated; unsigned order.
        case fixed([UInt8])
        /// A big-endian two's complement FIXED_LEN_BYTE_ARRAY value (DECIMAL): signed order.
        case signedFixed([UInt8])
    }

    var nullCount: Int64 = 0
    var min: Bound?
    var max: Bound?

    /// Widens the bounds to include `other`'s and adds its nulls.
    mutating func merge(_ other: ColumnStatistics) {
        nullCount += other.nullCount
        if let otherMin = other.min {
            if let current = min { min = Self.less(otherMin, current) ? otherMin : current } else { min = otherMin }
        }
        if let otherMax = other.max {
            if let current = max { max = Self.less(current, otherMax) ? otherMax : current } else { max = otherMax }
        }
    }

    /// Widens the bounds to include values `range` of `values`.
    mutating func include(_ values: LeafValues, range: Range<Int>, order: SortOrder = .natural) {
        guard !range.isEmpty else { return }
        var part = ColumnStatistics()
        switch values {
        case .int32(let v) where order == .unsigned:
            if let bounds = Self.minMax(v[range].lazy.map { UInt32(bitPattern: $0) }) {
                (part.min, part.max) = (.uint32(bounds.0), .uint32(bounds.1))
            }
        case .int64(let v) where order == .unsigned:
            if let bounds = Self.minMax(v[range].lazy.map { UInt64(bitPattern: $0) }) {
                (part.min, part.max) = (.uint64(bounds.0), .uint64(bounds.1))
            }
        case .fixed(let bytes, let width):
            let signed = order == .signedBytes
            let (minIndex, maxIndex) = Self.fixedMinMax(bytes, width: width, range: range, signed: signed)
            let low = Array(bytes[(minIndex * width)..<((minIndex + 1) * width)])
            let high = Array(bytes[(maxIndex * width)..<((maxIndex + 1) * width)])
            (part.min, part.max) = signed ? (.signedFixed(low), .signedFixed(high)) : (.fixed(low), .fixed(high))
        case .boolean(let v):
            let slice = v[range]
            part.min = .boolean(!slice.contains(false))
            part.max = .boolean(slice.contains(true))
        case .int32(let v):
            if let bounds = Self.minMax(v[range]) { (part.min, part.max) = (.int32(bounds.0), .int32(bounds.1)) }
        case .int64(let v):
            if let bounds = Self.minMax(v[range]) { (part.min, part.max) = (.int64(bounds.0), .int64(bounds.1)) }
        case .float(let v):
            if let bounds = Self.floatMinMax(v[range]) {
                // Parquet asks for -0.0 as a zero minimum and +0.0 as a zero maximum.
                (part.min, part.max) = (.float(bounds.0 == 0 ? -0.0 : bounds.0), .float(bounds.1 == 0 ? 0.0 : bounds.1))
            }
        case .double(let v):
            if let bounds = Self.floatMinMax(v[range]) {
                (part.min, part.max) = (.double(bounds.0 == 0 ? -0.0 : bounds.0), .double(bounds.1 == 0 ? 0.0 : bounds.1))
            }
        case .byteArray(let buffer):
            let (minIndex, maxIndex) = Self.byteArrayMinMax(buffer, indices: range)
            part.min = .bytes(Self.value(buffer, minIndex))
            part.max = .bytes(Self.value(buffer, maxIndex))
        }
        merge(part)
    }

    /// The Thrift statistics, with byte-array bounds truncated to `BoundTruncation.maxLength` bytes.
    func thrift(isString: Bool) -> Statistics {
        var statistics = Statistics(nullCount: nullCount)
        if let min, let max {
            let lower = Self.encode(min, isString: isString, upper: false)
            let upper = Self.encode(max, isString: isString, upper: true)
            statistics.minValue = lower.bytes
            statistics.isMinValueExact = lower.exact
            if let bytes = upper.bytes {
                statistics.maxValue = bytes
                statistics.isMaxValueExact = upper.exact
            }
        }
        return statistics
    }

    static func encode(_ bound: Bound, isString: Bool, upper: Bool) -> (bytes: [UInt8]?, exact: Bool) {
        switch bound {
        case .uint32(let v): return (littleEndian(v), true)
        case .uint64(let v): return (littleEndian(v), true)
        case .fixed(let v), .signedFixed(let v): return (v, true)
        case .boolean(let v): return ([v ? 1 : 0], true)
        case .int32(let v): return (littleEndian(v), true)
        case .int64(let v): return (littleEndian(v), true)
        case .float(let v): return (littleEndian(v.bitPattern), true)
        case .double(let v): return (littleEndian(v.bitPattern), true)
        case .bytes(let v):
            if upper {
                let truncated = BoundTruncation.upperBound(v, isString: isString)
                return (truncated, truncated == v)
            }
            let truncated = BoundTruncation.lowerBound(v, isString: isString)
            return (truncated, truncated.count == v.count)
        }
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func less(_ a: Bound, _ b: Bound) -> Bool {
        switch (a, b) {
        case (.uint32(let x), .uint32(let y)): x < y
        case (.uint64(let x), .uint64(let y)): x < y
        case (.fixed(let x), .fixed(let y)): x.lexicographicallyPrecedes(y)
        case (.signedFixed(let x), .signedFixed(let y)): compareSigned(x[...], y[...]) < 0
        case (.boolean(let x), .boolean(let y)): !x && y
        case (.int32(let x), .int32(let y)): x < y
        case (.int64(let x), .int64(let y)): x < y
        case (.float(let x), .float(let y)): x < y
        case (.double(let x), .double(let y)): x < y
        case (.bytes(let x), .bytes(let y)): x.lexicographicallyPrecedes(y)
        default: false
        }
    }

    private static func minMax<C: Collection>(_ values: C) -> (C.Element, C.Element)? where C.Element: FixedWidthInteger {
        guard var low = values.first else { return nil }
        var high = low
        for value in values {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
        }
        return (low, high)
    }

    private static func floatMinMax<T: BinaryFloatingPoint>(_ values: ArraySlice<T>) -> (T, T)? {
        var low = T.infinity
        var high = -T.infinity
        var seen = false
        for value in values where !value.isNaN {
            seen = true
            low = Swift.min(low, value)
            high = Swift.max(high, value)
        }
        return seen ? (low, high) : nil
    }

    /// Compares two big-endian two's complement values of equal width: <0, 0 or >0.
    static func compareSigned(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        guard let aFirst = a.first, let bFirst = b.first else { return a.count - b.count }
        if aFirst != bFirst { return Int(Int8(bitPattern: aFirst)) - Int(Int8(bitPattern: bFirst)) }
        for (x, y) in zip(a.dropFirst(), b.dropFirst()) where x != y { return Int(x) - Int(y) }
        return 0
    }

    /// Indices of the smallest and largest fixed-width values, unsigned or two's complement order.
    private static func fixedMinMax(_ bytes: [UInt8], width: Int, range: Range<Int>, signed: Bool) -> (Int, Int) {
        func compare(_ i: Int, _ j: Int) -> Int {
            let a = bytes[(i * width)..<((i + 1) * width)]
            let b = bytes[(j * width)..<((j + 1) * width)]
            if signed { return compareSigned(a, b) }
            for (x, y) in zip(a, b) where x != y { return Int(x) - Int(y) }
            return 0
        }
        var low = range.lowerBound
        var high = range.lowerBound
        for i in range.dropFirst() {
            if compare(i, low) < 0 { low = i } else if compare(i, high) > 0 { high = i }
        }
        return (low, high)
    }

    private static func value(_ buffer: ByteArrayBuffer, _ index: Int) -> [UInt8] {
        Array(buffer.bytes[Int(buffer.offsets[index])..<Int(buffer.offsets[index + 1])])
    }

    /// Indices of the smallest and largest values in unsigned lexicographic order.
    private static func byteArrayMinMax(_ buffer: ByteArrayBuffer, indices range: some Collection<Int>) -> (Int, Int) {
        buffer.bytes.withUnsafeBufferPointer { bytes in
            buffer.offsets.withUnsafeBufferPointer { offsets in
                func compare(_ a: Int, _ b: Int) -> Int {
                    let aStart = Int(offsets[a]), aLength = Int(offsets[a + 1]) - aStart
                    let bStart = Int(offsets[b]), bLength = Int(offsets[b + 1]) - bStart
                    let common = Swift.min(aLength, bLength)
                    if common > 0, let base = bytes.baseAddress {
                        let result = memcmp(base + aStart, base + bStart, common)
                        if result != 0 { return Int(result) }
                    }
                    return aLength - bLength
                }
                guard let first = range.first else { return (0, 0) }
                var low = first
                var high = first
                for i in range.dropFirst() {
                    if compare(i, low) < 0 { low = i } else if compare(i, high) > 0 { high = i }
                }
                return (low, high)
            }
        }
    }

    /// Widens the bounds to include the dictionary entries that `indices` refer to.
    ///
    /// Each distinct entry is compared once: `seen` (one bit per entry, all clear on entry and on
    /// return) marks the entries already looked at.
    mutating func include(_ entries: ByteArrayBuffer, indices: ArraySlice<UInt32>, seen: inout [UInt64]) {
        var distinct: [Int] = []
        for index in indices {
            let entry = Int(index)
            let bit = UInt64(1) << UInt64(entry & 63)
            if seen[entry >> 6] & bit == 0 {
                seen[entry >> 6] |= bit
                distinct.append(entry)
            }
        }
        for entry in distinct { seen[entry >> 6] = 0 }
        guard !distinct.isEmpty else { return }
        let (minIndex, maxIndex) = Self.byteArrayMinMax(entries, indices: distinct)
        var part = ColumnStatistics()
        part.min = .bytes(Self.value(entries, minIndex))
        part.max = .bytes(Self.value(entries, maxIndex))
        merge(part)
    }
}

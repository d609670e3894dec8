/// Variable-length values stored back to back: value `i` is `bytes[offsets[i]..<offsets[i+1]]`.
///
/// `offsets` always starts with 0 and has one more entry than there are values.
public struct ByteArrayBuffer: Sendable, Equatable {
    public var bytes: [UInt8]
    public var offsets: [Int32]

    public init() {
        bytes = []
        offsets = [0]
    }

    public init(bytes: [UInt8], offsets: [Int32]) {
        self.bytes = bytes
        self.offsets = offsets
    }

    @inlinable
    public var count: Int { offsets.count - 1 }

    @inlinable
    public mutating func reserveCapacity(values: Int, bytes byteCount: Int) {
        offsets.reserveCapacity(values + 1)
        bytes.reserveCapacity(byteCount)
    }

    /// Appends one value. Inlinable so that callers in other modules get a specialized copy:
    /// this runs once per value on the flush and backfill paths.
    @inlinable
    public mutating func append(_ value: some Collection<UInt8>) {
        bytes.append(contentsOf: value)
        offsets.append(Int32(truncatingIfNeeded: bytes.count))
    }

    /// Appends every value of `other` after this buffer's values.
    @inlinable
    public mutating func append(contentsOf other: ByteArrayBuffer) {
        let base = Int32(truncatingIfNeeded: bytes.count)
        bytes.append(contentsOf: other.bytes)
        offsets.reserveCapacity(offsets.count + other.count)
        for offset in other.offsets.dropFirst() { offsets.append(offset + base) }
    }

    /// Appends one value from contiguous memory (a copy with no per-byte iteration).
    @inlinable
    public mutating func append(_ value: ArraySlice<UInt8>) {
        value.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
        offsets.append(Int32(truncatingIfNeeded: bytes.count))
    }
}

/// The values of one top-level field for every row of a file, in columnar form.
///
/// Value arrays are dense: they hold only the non-null values, in row order. `validity`, when
/// present, has one entry per row (per entry for nested children) and `false` marks a null;
/// `nil` means no nulls. For `map` and `list`, `offsets` has one entry per row plus one and
/// indexes the children; a null or empty row has `offsets[i] == offsets[i+1]`.
public indirect enum ColumnData: Sendable, Equatable {
    case boolean([Bool], validity: [Bool]?)
    case int32([Int32], validity: [Bool]?)
    case int64([Int64], validity: [Bool]?)
    case float([Float], validity: [Bool]?)
    case double([Double], validity: [Bool]?)
    case byteArray(ByteArrayBuffer, validity: [Bool]?)
    /// Values of `width` bytes each, back to back: value `i` is `bytes[i*width..<(i+1)*width]`.
    case fixedLenByteArray(bytes: [UInt8], width: Int, validity: [Bool]?)
    case map(offsets: [Int32], validity: [Bool]?, keys: ColumnData, values: ColumnData)
    case list(offsets: [Int32], validity: [Bool]?, elements: ColumnData)
}

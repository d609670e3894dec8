/// The value of one partition field of a data file, in the transform's result type.
///
/// `identity(string)` gives `.string`; `hour`, `day`, `month`, `year` and `bucket` give `.int`
/// (hours, days, months or years since the epoch); `identity(long)` gives `.long`.
public enum PartitionValue: Sendable, Hashable {
    case string(String)
    case int(Int32)
    case long(Int64)
    case null

    /// The single-value binary serialization used for partition summaries, or nil for `.null`.
    ///
    /// See <https://iceberg.apache.org/spec/#appendix-d-single-value-serialization>.
    public var singleValueBytes: [UInt8]? {
        switch self {
        case .string(let value): return Array(value.utf8)
        case .int(let value): return SingleValueEncoding.int(value)
        case .long(let value): return SingleValueEncoding.long(value)
        case .null: return nil
        }
    }

    /// Orders two non-null values of the same kind as Iceberg does (strings by unsigned UTF-8 bytes).
    static func lessThan(_ lhs: PartitionValue, _ rhs: PartitionValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return a.utf8.lexicographicallyPrecedes(b.utf8)
        case (.int(let a), .int(let b)): return a < b
        case (.long(let a), .long(let b)): return a < b
        default: return false
        }
    }
}

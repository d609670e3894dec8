/// Accumulates the `field_summary` of each partition field over a manifest's partition tuples.
struct PartitionSummaryBuilder: Sendable {
    private var containsNull: [Bool]
    private var lower: [PartitionValue?]
    private var upper: [PartitionValue?]

    init(fieldCount: Int) {
        containsNull = Array(repeating: false, count: fieldCount)
        lower = Array(repeating: nil, count: fieldCount)
        upper = Array(repeating: nil, count: fieldCount)
    }

    mutating func add(_ tuple: [PartitionValue]) {
        for (index, value) in tuple.enumerated() where index < containsNull.count {
            if value == .null {
                containsNull[index] = true
                continue
            }
            if lower[index].map({ PartitionValue.lessThan(value, $0) }) ?? true { lower[index] = value }
            if upper[index].map({ PartitionValue.lessThan($0, value) }) ?? true { upper[index] = value }
        }
    }

    /// One summary per field; bounds in single-value serialization, nil when every value was null.
    var summaries: [ManifestFile.FieldSummary] {
        containsNull.indices.map { index in
            ManifestFile.FieldSummary(containsNull: containsNull[index], containsNaN: false,
                                      lowerBound: lower[index]?.singleValueBytes,
                                      upperBound: upper[index]?.singleValueBytes)
        }
    }
}

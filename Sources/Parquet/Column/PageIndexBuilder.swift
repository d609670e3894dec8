/// Collects the per-page bounds and locations of one column chunk for its `ColumnIndex` and `OffsetIndex`.
///
/// Implements [PageIndex.md](https://github.com/apache/parquet-format/blob/master/PageIndex.md).
/// The column index is left out when a page with values has no usable bound (only NaNs, or a
/// string whose truncated maximum does not exist), because readers would then skip wrongly.
struct PageIndexBuilder {
    private(set) var offsetIndex = OffsetIndex(pageLocations: [])
    private var nullPages: [Bool] = []
    private var minValues: [[UInt8]] = []
    private var maxValues: [[UInt8]] = []
    private var nullCounts: [Int64] = []
    /// Untruncated bounds of the non-null pages, for the boundary order.
    private var bounds: [(min: ColumnStatistics.Bound, max: ColumnStatistics.Bound)] = []
    private var isComplete = true
    private var isExact = true

    mutating func append(offset: Int64, size: Int32, firstRow: Int64, statistics: ColumnStatistics,
                         valueCount: Int, isString: Bool) {
        offsetIndex.pageLocations.append(PageLocation(offset: offset, compressedPageSize: size, firstRowIndex: firstRow))
        nullCounts.append(statistics.nullCount)
        guard valueCount > 0 else {
            nullPages.append(true)
            minValues.append([])
            maxValues.append([])
            return
        }
        nullPages.append(false)
        guard let min = statistics.min, let max = statistics.max else {
            isComplete = false
            minValues.append([])
            maxValues.append([])
            return
        }
        let lower = ColumnStatistics.encode(min, isString: isString, upper: false)
        let upper = ColumnStatistics.encode(max, isString: isString, upper: true)
        guard let lowerBytes = lower.bytes, let upperBytes = upper.bytes else {
            isComplete = false
            minValues.append([])
            maxValues.append([])
            return
        }
        isExact = isExact && lower.exact && upper.exact
        minValues.append(lowerBytes)
        maxValues.append(upperBytes)
        bounds.append((min, max))
    }

    /// The column index, or nil when some page lacks bounds.
    func columnIndex() -> ColumnIndex? {
        guard isComplete, !nullPages.isEmpty else { return nil }
        return ColumnIndex(nullPages: nullPages, minValues: minValues, maxValues: maxValues,
                           boundaryOrder: boundaryOrder(), nullCounts: nullCounts)
    }

    private func boundaryOrder() -> BoundaryOrder {
        // Truncated bounds may tie or cross where the values did not: claim no order then.
        guard isExact, bounds.count > 1 else { return .unordered }
        var ascending = true
        var descending = true
        for (a, b) in zip(bounds, bounds.dropFirst()) {
            if ColumnStatistics.less(b.min, a.min) || ColumnStatistics.less(b.max, a.max) { ascending = false }
            if ColumnStatistics.less(a.min, b.min) || ColumnStatistics.less(a.max, b.max) { descending = false }
        }
        if ascending { return .ascending }
        if descending { return .descending }
        return .unordered
    }
}

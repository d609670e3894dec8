/// Latencies in microseconds, in HdrHistogram-style log-linear buckets (3 significant digits).
///
/// Each power-of-two range is split into 1024 linear sub-buckets, so a recorded value is known
/// to within 0.1 % and memory stays constant however many values are recorded.
struct LatencyHistogram: Sendable {
    private static let subBucketBits = 10
    private static let subBuckets = 1 << subBucketBits
    private var counts = [UInt64](repeating: 0, count: 40 << subBucketBits)
    private(set) var total: UInt64 = 0
    private(set) var maximum: UInt64 = 0

    mutating func record(_ micros: UInt64) {
        counts[Self.index(micros)] += 1
        total += 1
        maximum = max(maximum, micros)
    }

    mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        total += other.total
        maximum = max(maximum, other.maximum)
    }

    /// The value at `percentile` (0–100), in microseconds (the upper edge of its bucket).
    func value(atPercentile percentile: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let target = UInt64((Double(total) * percentile / 100).rounded(.up))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= max(1, target) { return min(Self.upperEdge(index), maximum) }
        }
        return maximum
    }

    private static func index(_ value: UInt64) -> Int {
        if value < UInt64(subBuckets) { return Int(value) }
        let magnitude = 63 - value.leadingZeroBitCount - (subBucketBits - 1)
        let sub = Int(value >> UInt64(magnitude)) - subBuckets / 2
        return min((magnitude + 1) * (subBuckets / 2) + sub + subBuckets / 2, 40 * subBuckets - 1)
    }

    private static func upperEdge(_ index: Int) -> UInt64 {
        if index < subBuckets { return UInt64(index) }
        let magnitude = (index - subBuckets / 2) / (subBuckets / 2) - 1
        let sub = (index - subBuckets / 2) % (subBuckets / 2) + subBuckets / 2
        return (UInt64(sub + 1) << UInt64(magnitude)) - 1
    }
}

/// Cuts `items`, kept in their order, into runs whose sizes add up to at most `target` (a run always holds at
/// least one item, so an item larger than `target` is a run of its own).
///
/// Manifest merging packs manifests this way, and compaction packs small data files.
package func orderedBins<T>(_ items: some Sequence<T>, target: Int64, size: (T) -> Int64) -> [[T]] {
    var bins: [[T]] = []
    var current: [T] = []
    var total: Int64 = 0
    for item in items {
        let itemSize = size(item)
        if !current.isEmpty, total + itemSize > target {
            bins.append(current)
            current = []
            total = 0
        }
        current.append(item)
        total += itemSize
    }
    if !current.isEmpty { bins.append(current) }
    return bins
}

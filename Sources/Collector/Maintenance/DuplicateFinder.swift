/// Decides which rows of Floe's tables are later copies of an event, partition by partition.
///
/// Partitions come in order of type, then hour; files within one oldest first (data sequence number, then
/// location). A row is a duplicate when its key was seen earlier in the partition, or in the partition of
/// the same type one hour earlier: a retry's copy can land in the next hour when its event time comes from
/// the time it was received. Rows already deleted are skipped. Memory: the keys of two partitions.
struct DuplicateFinder {
    /// An event key: 128 bits of a hash of its key columns.
    struct Key: Hashable, Sendable {
        var high: UInt64
        var low: UInt64

        init(high: UInt64, low: UInt64) {
            self.high = high
            self.low = low
        }

        /// The first 16 bytes of `digest` (at least 16 bytes).
        init(digest: [UInt8]) {
            var high: UInt64 = 0, low: UInt64 = 0
            for index in 0..<8 {
                high = high << 8 | UInt64(digest[index])
                low = low << 8 | UInt64(digest[index + 8])
            }
            self.init(high: high, low: low)
        }
    }

    /// One data file's keys, by row position, and its positions already deleted.
    struct ScannedFile: Sendable {
        var location: String
        var sequenceNumber: Int64
        var keys: [Key?]
        var deleted: Set<Int64>
    }

    private var previous: (key: PartitionKey, seen: Set<Key>)?

    /// The rows of `files` (one partition, `key`) to delete, as (file, position).
    mutating func duplicates(in key: PartitionKey, files: [ScannedFile]) -> [(path: String, position: Int64)] {
        let earlier = previous.flatMap { $0.key.type == key.type && $0.key.hours == key.hours - 1 ? $0.seen : nil } ?? []
        var seen = Set<Key>()
        var result: [(path: String, position: Int64)] = []
        for file in files.sorted(by: { ($0.sequenceNumber, $0.location) < ($1.sequenceNumber, $1.location) }) {
            for (position, value) in file.keys.enumerated() where !file.deleted.contains(Int64(position)) {
                guard let value else { continue }
                if earlier.contains(value) || !seen.insert(value).inserted {
                    result.append((file.location, Int64(position)))
                }
            }
        }
        previous = (key, seen)
        return result
    }
}

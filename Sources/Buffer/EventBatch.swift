/// The events of one append on their way into the buffer: their rows (in the caller's encoding)
/// laid end to end in one byte array, and per event its partition, arrival time and dedup key.
///
/// The HTTP path writes each validated event's row straight onto the end of ``bytes``, so a
/// request of a hundred events makes two growing arrays instead of two allocations per event
/// (a row and a key) that were freed again once the rows were copied into chunks
/// (Benchmarks/README.md, session 17). ``BufferedEvent`` is the same event on its own.
public struct EventBatch: Sendable {
    struct Entry: Sendable {
        /// Index of the event's partition in ``partitions`` (a plain value: copying an entry
        /// retains nothing).
        var partition: Int
        var receivedAt: Int64
        /// End of the event's row in ``bytes``; it starts where the previous one ends.
        var end: Int
        var dedupKey: DedupKey?
    }

    /// Every event's row, in order.
    public private(set) var bytes: [UInt8] = []
    private(set) var entries: [Entry] = []
    /// The partitions the events go to, each once, in order of first use.
    private(set) var partitions: [PartitionID] = []
    /// Positions in ``partitions``, kept once there are more than ``maxScannedPartitions`` (a CloudEvents
    /// batch can name a partition per event: one `type` each).
    private var partitionPositions: [PartitionID: Int] = [:]
    /// Up to this many partitions a scan finds one faster than hashing its strings.
    private static let maxScannedPartitions = 16

    /// An empty batch with room for `events` events of `bytes` row bytes in all.
    public init(events: Int = 0, bytes: Int = 0) {
        entries.reserveCapacity(events)
        self.bytes.reserveCapacity(bytes)
    }

    /// The events `events` describe, in order.
    public init(_ events: [BufferedEvent]) {
        self.init(events: events.count, bytes: events.reduce(0) { $0 + $1.payload.count })
        for event in events { append(event) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// Adds one event whose row `writeRow` appends to the end of the bytes it is given.
    ///
    /// `dedupKey` nil: never a duplicate.
    public mutating func append(partition: PartitionID, receivedAt: Int64, dedupKey: DedupKey?,
                                writeRow: (inout [UInt8]) throws -> Void) rethrows {
        let start = bytes.count
        do {
            try writeRow(&bytes)
        } catch {
            bytes.removeSubrange(start...)
            throw error
        }
        entries.append(Entry(partition: index(of: partition), receivedAt: receivedAt, end: bytes.count, dedupKey: dedupKey))
    }

    /// The position of `partition` in ``partitions``, added if new. Events of one partition often
    /// come in runs, and most requests' events go to a few partitions, so a scan finds it; past
    /// ``maxScannedPartitions`` a dictionary does, so a request's cost stays linear in its events.
    private mutating func index(of partition: PartitionID) -> Int {
        if let last = entries.last?.partition, partitions[last] == partition { return last }
        if partitions.count <= Self.maxScannedPartitions {
            if let found = partitions.firstIndex(of: partition) { return found }
        } else if let found = partitionPositions[partition] {
            return found
        }
        partitions.append(partition)
        if partitions.count == Self.maxScannedPartitions + 1 {
            for (position, known) in partitions.enumerated() { partitionPositions[known] = position }
        } else if partitions.count > Self.maxScannedPartitions + 1 {
            partitionPositions[partition] = partitions.count - 1
        }
        return partitions.count - 1
    }

    public mutating func append(_ event: BufferedEvent) {
        append(partition: event.partition, receivedAt: event.receivedAt, dedupKey: event.dedupKey.map { DedupKey($0) }) {
            $0.append(contentsOf: event.payload)
        }
    }

    public mutating func append(contentsOf other: EventBatch) {
        let offset = bytes.count
        bytes.append(contentsOf: other.bytes)
        let indices = other.partitions.map { index(of: $0) }
        entries.reserveCapacity(entries.count + other.entries.count)
        for var entry in other.entries {
            entry.end += offset
            entry.partition = indices[entry.partition]
            entries.append(entry)
        }
    }

    /// Events `range` as a batch of their own.
    public func events(_ range: Range<Int>) -> EventBatch {
        guard !range.isEmpty else { return EventBatch() }
        let start = range.lowerBound == 0 ? 0 : entries[range.lowerBound - 1].end
        var batch = EventBatch()
        batch.bytes = Array(bytes[start..<entries[range.upperBound - 1].end])
        batch.entries.reserveCapacity(range.count)
        for var entry in entries[range] {
            entry.end -= start
            // Numbered anew, so the slice names only the partitions it has events of.
            entry.partition = batch.index(of: partitions[entry.partition])
            batch.entries.append(entry)
        }
        return batch
    }

    /// Event `index`'s row.
    public func row(_ index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : entries[index - 1].end)..<entries[index].end]
    }

    /// Event `index`'s partition.
    public func partition(_ index: Int) -> PartitionID {
        partitions[entries[index].partition]
    }
}

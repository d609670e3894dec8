/// One append's events grouped by partition, encoded and hashed on the caller's thread.
///
/// Everything here is per-request work that does not need the database: grouping by partition,
/// the chunk encoding (``EventChunk``) and the dedup keys' hashes. Doing it before the append
/// joins the writer queue keeps the serial part of a group commit to lookups, copies of whole
/// chunks and SQLite itself, so requests prepare in parallel on every core.
struct PreparedAppend {
    /// The events of one partition, in request order.
    struct Part {
        var partition: PartitionID
        /// The events' payloads as one chunk (concatenated chunks are a chunk).
        var chunk: [UInt8]
        var count: Int
        /// Payload bytes (without length prefixes).
        var bytes: Int
        var oldest: Int64
        /// Per event, its dedup key's hash (nil: never a duplicate).
        var keys: [DedupIndex.Key?]
    }

    var parts: [Part]
    /// Payload bytes of all the events.
    var bytes: Int

    init(_ batch: EventBatch) {
        var parts: [Part] = []
        var byPartition: [PartitionID: Int] = [:]
        // First the parts and their sizes, so each chunk is allocated once at its final size.
        var partOf: [Int] = []
        partOf.reserveCapacity(batch.count)
        var start = 0
        for entry in batch.entries {
            // Events of one partition often come in runs: the previous event's part is tried first.
            let index: Int
            if let last = partOf.last, parts[last].partition == entry.partition {
                index = last
            } else if let found = byPartition[entry.partition] {
                index = found
            } else {
                index = parts.count
                byPartition[entry.partition] = index
                parts.append(Part(partition: entry.partition, chunk: [], count: 0, bytes: 0, oldest: .max, keys: []))
            }
            partOf.append(index)
            parts[index].count += 1
            parts[index].bytes += entry.end - start
            parts[index].oldest = min(parts[index].oldest, entry.receivedAt)
            parts[index].keys.append(entry.dedupKey)
            start = entry.end
        }
        for index in parts.indices {
            // A length prefix takes at most 3 bytes below 2 MiB per event; more only regrows.
            parts[index].chunk.reserveCapacity(parts[index].bytes + 3 * parts[index].count)
        }
        batch.bytes.withUnsafeBufferPointer { rows in
            var start = 0
            for (entry, index) in zip(batch.entries, partOf) {
                EventChunk.append(UnsafeBufferPointer(rebasing: rows[start..<entry.end]), to: &parts[index].chunk)
                start = entry.end
            }
        }
        self.parts = parts
        self.bytes = batch.bytes.count
    }
}

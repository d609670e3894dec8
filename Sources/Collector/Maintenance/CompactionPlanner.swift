import FloeSupport
import Iceberg

/// Decides what one compaction run rewrites: the small data files of closed partitions, packed into
/// bins of about the target size, oldest partitions first, within the run's byte budget.
///
/// A partition is closed once its hour has ended and `graceMs` more have passed (late events still
/// arrive until then). A file is small under three quarters of the target size; files at the target
/// size are never rewritten, so a late event costs at most one target-sized rewrite. A partition is
/// compacted when it has two small files or more, or one that position deletes name (rewriting it alone
/// for another file's deletes would change nothing, and the next run would find it again).
struct CompactionPlanner {
    var targetFileSizeBytes: Int64
    var graceMs: Int64
    var maxBytes: Int64

    /// Small files of one partition to rewrite into files of about the target size.
    struct Bin: Sendable {
        var key: PartitionKey
        /// Data files, oldest (lowest sequence number) first.
        var inputs: [LiveFile]

        var bytes: Int64 { inputs.reduce(0) { $0 + $1.fileSizeInBytes } }
    }

    /// What to rewrite now, and how many bins wait for a later run (over the byte budget).
    struct Plan: Sendable {
        var bins: [Bin] = []
        var deferred = 0
    }

    var smallFileLimit: Int64 { targetFileSizeBytes / 4 * 3 }

    func isClosed(_ key: PartitionKey, nowMs: Int64) -> Bool {
        (Int64(key.hours) + 1) * 3_600_000 + graceMs <= nowMs
    }

    /// Whether a manifest may list files of a closed partition: false only when its partition summary
    /// shows that its earliest hour is still open (then every hour in it is), so planning skips reading it.
    /// Every file of a closed partition is in a manifest whose earliest hour is at most that partition's.
    func mayHoldClosedPartition(_ manifest: ManifestFile, nowMs: Int64) -> Bool {
        guard let summaries = manifest.partitions, summaries.count == 2,
              let bound = summaries[1].lowerBound, let earliest = SingleValueEncoding.decodeInt(bound) else { return true }
        return isClosed(PartitionKey(type: "", hours: earliest), nowMs: nowMs)
    }

    /// The delete files of the closed partitions among `files` that hold a small data file (only those can be
    /// compacted, so only their deletes are worth reading), by partition.
    func closedDeletes(_ files: [LiveFile], nowMs: Int64) -> [PartitionKey: [LiveFile]] {
        var compactable = Set<PartitionKey>()
        for file in files where file.content == .data && file.fileSizeInBytes < smallFileLimit {
            if let key = PartitionKey(partitionValues: file.partition), isClosed(key, nowMs: nowMs) { compactable.insert(key) }
        }
        var deletes: [PartitionKey: [LiveFile]] = [:]
        for file in files where file.content != .data {
            guard let key = PartitionKey(partitionValues: file.partition), compactable.contains(key) else { continue }
            deletes[key, default: []].append(file)
        }
        return deletes
    }

    /// The plan for the live files of a table; `named` holds the data files that position deletes name
    /// (the deletes themselves are read by the caller, ``closedDeletes(_:nowMs:)``).
    ///
    /// - Throws: ``Iceberg/CatalogError`` `invalidMetadata` for a partition tuple that is not Floe's.
    func plan(_ files: [LiveFile], nowMs: Int64, named: Set<String> = []) throws -> Plan {
        var data: [PartitionKey: [LiveFile]] = [:]
        for file in files {
            guard let key = PartitionKey(partitionValues: file.partition) else {
                throw CatalogError(.invalidMetadata, "unexpected partition tuple", context: ["location": file.location])
            }
            if file.content == .data && file.fileSizeInBytes < smallFileLimit && isClosed(key, nowMs: nowMs) {
                data[key, default: []].append(file)
            }
        }
        var plan = Plan()
        var budget = maxBytes
        for key in data.keys.sorted(by: { ($0.hours, $0.type) < ($1.hours, $1.type) }) {
            let small = (data[key] ?? []).sorted { ($0.sequenceNumber, $0.location) < ($1.sequenceNumber, $1.location) }
            guard small.count >= 2 || small.contains(where: { named.contains($0.location) }) else { continue }
            let bins = orderedBins(small, target: targetFileSizeBytes) { $0.fileSizeInBytes }
            for inputs in bins where inputs.count >= 2 || inputs.contains(where: { named.contains($0.location) }) {
                let bin = Bin(key: key, inputs: inputs)
                // The first bin always runs, so a budget below one bin still makes progress.
                if !plan.bins.isEmpty && bin.bytes > budget {
                    plan.deferred += 1
                    continue
                }
                budget -= bin.bytes
                plan.bins.append(bin)
            }
        }
        return plan
    }
}

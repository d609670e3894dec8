import Buffer
import Parquet

/// The rows of one commit unit, per table and partition, as pieces of Parquet column buffers.
///
/// Workers decode lines into their own partial units in parallel; merging only collects the
/// pieces, and each data file concatenates its pieces when it is encoded (also in parallel),
/// so the sequential part of a backfill copies no row data.
package struct BackfillUnitBuilder: Sendable, NormalizedEventSink {
    struct Partition: Sendable {
        var id: PartitionID
        var key: PartitionKey
        var table: TableDefinition
        var pieces: [RowBatchDecoder] = []
        var current: RowBatchDecoder
        var rows: Int { pieces.reduce(current.rowCount) { $0 + $1.rowCount } }
    }

    /// One data file to write: its pieces in order.
    struct FileRows: Sendable {
        var table: TableDefinition
        var key: PartitionKey
        var pieces: [RowBatchDecoder]
        var rows: Int { pieces.reduce(0) { $0 + $1.rowCount } }

        /// The file's columns, concatenated from its pieces.
        func columns() -> [ColumnData] {
            RowBatchDecoder.columns(joining: pieces, table: table)
        }
    }

    let targetFileRows: Int
    private(set) var partitions: [Partition] = []
    /// Where each partition a worker has seen sits in `partitions`.
    private var slots: [PartitionSlot: Int] = [:]
    package private(set) var events = 0
    /// Partitions whose columns start roomy; the ones after start small. A few hundred partitions (days of
    /// hours × types) are the common backfill, and take the speed; input spread over a year of hours would
    /// otherwise hold about 70 KB per partition and worker (Benchmarks/README.md, session 37).
    static let roomyPartitions = 1024

    package init(targetFileRows: Int) {
        self.targetFileRows = targetFileRows
    }

    /// Validates a line and writes its valid events into the unit: how many, or the problems of those it
    /// rejected (its valid events are written either way).
    package mutating func add(line: [UInt8], normalizer: LineNormalizer, request: IngestContext) throws -> Result<Int, ValidationErrors> {
        // The same path as a backfill worker's: events are written as they are validated.
        var entries: [JSONTape.Entry] = []
        let before = events
        let rejected = try normalizer.validate(line[...], request: request, reusing: &entries, into: &self)
        guard rejected.isEmpty else { return .failure(ValidationErrors(rejected.flatMap(\.errors.issues))) }
        return .success(events - before)
    }

    /// Writes one event's row into its partition's columns (worker side).
    mutating func take(_ message: SegmentNormalizer.Message, of normalizer: SegmentNormalizer) throws(RowBatchDecoder.DecodingError) {
        let index = partitionIndex(message.partition)
        var row = partitions[index].current.startRow()
        normalizer.write(message, into: &row)
        try partitions[index].current.finishRow(row)
        rowAdded(to: index)
    }

    /// Writes one event's row into its partition's columns (worker side).
    mutating func take(_ attributes: CloudEventNormalizer.Attributes, of normalizer: CloudEventNormalizer) throws(RowBatchDecoder.DecodingError) {
        let index = partitionIndex(normalizer.partition(of: attributes))
        var row = partitions[index].current.startRow()
        normalizer.write(attributes, into: &row)
        try partitions[index].current.finishRow(row)
        rowAdded(to: index)
    }

    /// Writes a rejected line's row into its `rejected` partition (worker side).
    mutating func add(_ rejected: RejectedEvent, request: IngestContext, maxEventBytes: Int) throws {
        let index = partitionIndex(rejected.partition(receivedAt: request.receivedAt))
        try partitions[index].current.appendRow {
            rejected.write(into: &$0, request: request, maxEventBytes: maxEventBytes)
        }
        rowAdded(to: index)
    }

    /// Counts a row; a partition's piece that holds a file's worth of rows becomes a piece of its own, so that
    /// ``files()`` can keep every file within `targetFileRows`.
    private mutating func rowAdded(to index: Int) {
        events += 1
        guard partitions[index].current.rowCount >= targetFileRows else { return }
        partitions[index].pieces.append(partitions[index].current)
        partitions[index].current = RowBatchDecoder(table: partitions[index].table, startsSmall: index >= Self.roomyPartitions)
    }

    /// Where `slot`'s partition sits in `partitions`, added when the worker first sees it.
    private mutating func partitionIndex(_ slot: PartitionSlot) -> Int {
        if let known = slots[slot] { return known }
        let index = partitions.count
        let table = slot.table
        partitions.append(Partition(id: slot.id, key: slot.key, table: table,
                                    current: RowBatchDecoder(table: table, startsSmall: index >= Self.roomyPartitions)))
        slots[slot] = index
        return index
    }

    /// Takes a worker's partial unit: its pieces go after this unit's, partition by partition.
    mutating func merge(_ partial: BackfillUnitBuilder) {
        var positions = Dictionary(uniqueKeysWithValues: partitions.indices.map { (partitions[$0].id, $0) })
        for incoming in partial.partitions {
            let index: Int
            if let known = positions[incoming.id] {
                index = known
            } else {
                index = partitions.count
                partitions.append(Partition(id: incoming.id, key: incoming.key, table: incoming.table, current: RowBatchDecoder(table: incoming.table)))
                positions[incoming.id] = index
            }
            if partitions[index].current.rowCount > 0 {
                partitions[index].pieces.append(partitions[index].current)
                partitions[index].current = RowBatchDecoder(table: incoming.table)
            }
            partitions[index].pieces += incoming.pieces
            if incoming.current.rowCount > 0 { partitions[index].pieces.append(incoming.current) }
        }
        events += partial.events
    }

    /// Every data file of the unit, in a stable order: each partition's pieces (of at most `targetFileRows` rows
    /// each) joined into files of at most `targetFileRows` rows, a file closing before the piece that would take it
    /// past that.
    func files() -> [FileRows] {
        var result: [FileRows] = []
        for partition in partitions.sorted(by: { $0.id < $1.id }) {
            var pieces = partition.pieces
            if partition.current.rowCount > 0 { pieces.append(partition.current) }
            var file = FileRows(table: partition.table, key: partition.key, pieces: [])
            var rows = 0
            for piece in pieces {
                if rows > 0, rows + piece.rowCount > targetFileRows {
                    result.append(file)
                    file.pieces = []
                    rows = 0
                }
                file.pieces.append(piece)
                rows += piece.rowCount
            }
            if rows > 0 { result.append(file) }
        }
        return result
    }
}

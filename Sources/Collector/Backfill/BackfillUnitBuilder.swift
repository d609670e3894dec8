import Buffer
import Parquet

/// The rows of one commit unit, per table and partition, as pieces of Parquet column buffers.
///
/// Workers decode lines into their own partial units in parallel; merging only collects the
/// pieces, and each data file concatenates its pieces when it is encoded (also in parallel),
/// so the sequential part of a backfill copies no row data.
struct BackfillUnitBuilder: Sendable {
    struct Partition: Sendable {
        var table: TableDefinition
        var key: String
        var pieces: [RowBatchDecoder] = []
        var current: RowBatchDecoder
        var rows: Int { pieces.reduce(current.rowCount) { $0 + $1.rowCount } }
    }

    /// One data file to write: its pieces in order.
    struct FileRows: Sendable {
        var table: TableDefinition
        var key: String
        var pieces: [RowBatchDecoder]
        var rows: Int { pieces.reduce(0) { $0 + $1.rowCount } }

        /// The file's columns, concatenated from its pieces.
        func columns() -> [ColumnData] {
            guard var first = pieces.first else { return RowBatchDecoder(table: table).columns() }
            for piece in pieces.dropFirst() { first.append(contentsOf: piece) }
            return first.columns()
        }
    }

    let targetFileRows: Int
    private(set) var partitions: [PartitionID: Partition] = [:]
    private(set) var events = 0

    init(targetFileRows: Int) {
        self.targetFileRows = targetFileRows
    }

    /// Decodes one event into its partition (worker side).
    mutating func add(_ event: BufferedEvent) throws {
        if partitions[event.partition] == nil {
            let table = event.partition.table == TableDefinition.events.name ? TableDefinition.events : .cloudEvents
            partitions[event.partition] = Partition(table: table, key: event.partition.key, current: RowBatchDecoder(table: table))
        }
        try partitions[event.partition]?.current.append(event.payload)
        events += 1
    }

    /// Takes a worker's partial unit: its pieces go after this unit's, partition by partition.
    mutating func merge(_ partial: BackfillUnitBuilder) {
        for (id, incoming) in partial.partitions {
            var partition = partitions[id] ?? Partition(table: incoming.table, key: incoming.key,
                                                        current: RowBatchDecoder(table: incoming.table))
            if partition.current.rowCount > 0 {
                partition.pieces.append(partition.current)
                partition.current = RowBatchDecoder(table: incoming.table)
            }
            partition.pieces += incoming.pieces
            if incoming.current.rowCount > 0 { partition.pieces.append(incoming.current) }
            partitions[id] = partition
        }
        events += partial.events
    }

    /// Every data file of the unit, in a stable order: each partition's pieces cut into files of
    /// about `targetFileRows` rows (a file closes at the first piece boundary past the target).
    func files() -> [FileRows] {
        var result: [FileRows] = []
        for id in partitions.keys.sorted() {
            guard let partition = partitions[id] else { continue }
            var pieces = partition.pieces
            if partition.current.rowCount > 0 { pieces.append(partition.current) }
            var file = FileRows(table: partition.table, key: partition.key, pieces: [])
            var rows = 0
            for piece in pieces {
                file.pieces.append(piece)
                rows += piece.rowCount
                if rows >= targetFileRows {
                    result.append(file)
                    file.pieces = []
                    rows = 0
                }
            }
            if rows > 0 { result.append(file) }
        }
        return result
    }
}

import Buffer
import Parquet

/// The rows of one commit unit, accumulated per table and partition in Parquet column buffers.
struct BackfillUnitBuilder {
    struct Partition {
        var table: TableDefinition
        var key: String
        var decoder: RowBatchDecoder
        /// Finished chunks of `targetFileRows` rows, waiting to be written.
        var full: [[ColumnData]] = []
        var fullRows: [Int] = []
    }

    let targetFileRows: Int
    private(set) var partitions: [PartitionID: Partition] = [:]
    private(set) var events = 0

    init(targetFileRows: Int) {
        self.targetFileRows = targetFileRows
    }

    mutating func add(_ event: BufferedEvent) throws {
        let table = event.partition.table == TableDefinition.events.name ? TableDefinition.events : .cloudEvents
        if partitions[event.partition] == nil {
            partitions[event.partition] = Partition(table: table, key: event.partition.key,
                                                    decoder: RowBatchDecoder(table: table))
        }
        try partitions[event.partition]?.decoder.append(event.payload)
        events += 1
        if let rows = partitions[event.partition]?.decoder.rowCount, rows >= targetFileRows,
           var partition = partitions[event.partition] {
            partition.full.append(partition.decoder.columns())
            partition.fullRows.append(rows)
            partition.decoder = RowBatchDecoder(table: table)
            partitions[event.partition] = partition
        }
    }

    /// Every data file of the unit: (table, partition key, columns, rows), in a stable order.
    func files() -> [(table: TableDefinition, key: String, columns: [ColumnData], rows: Int)] {
        var result: [(table: TableDefinition, key: String, columns: [ColumnData], rows: Int)] = []
        for id in partitions.keys.sorted() {
            guard let partition = partitions[id] else { continue }
            for (columns, rows) in zip(partition.full, partition.fullRows) {
                result.append((partition.table, partition.key, columns, rows))
            }
            if partition.decoder.rowCount > 0 {
                result.append((partition.table, partition.key, partition.decoder.columns(), partition.decoder.rowCount))
            }
        }
        return result
    }
}

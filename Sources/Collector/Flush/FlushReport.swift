/// What one flush committed, per table; the body of `POST /debug/flush`.
package struct FlushReport: Sendable, Codable {
    package struct TableReport: Sendable, Codable {
        var table: String
        var commitId: String
        var snapshotId: Int64
        var sequenceNumber: Int64
        package var files: [String]
        package var rows: Int
        var partitions: [String]
        /// True when this commit finished an intent left pending by an earlier attempt.
        var recovered: Bool
        /// Time of the Iceberg commit alone (manifest, manifest list, metadata, catalog swap), ms.
        package var commitMillis: Double = 0
        /// Reading the rows from the buffer, ms.
        var readMillis: Double = 0
        /// Decoding, encoding and uploading the data files, ms.
        var writeMillis: Double = 0
        /// Recording the intent and completing it after the commit (buffer transactions), ms.
        var bookkeepingMillis: Double = 0

        enum CodingKeys: String, CodingKey {
            case table, files, rows, partitions, recovered, commitMillis = "commit_ms", readMillis = "read_ms"
            case writeMillis = "write_ms", bookkeepingMillis = "bookkeeping_ms"
            case commitId = "commit_id", snapshotId = "snapshot_id", sequenceNumber = "sequence_number"
        }
    }

    package var tables: [TableReport] = []

    var rows: Int { tables.reduce(0) { $0 + $1.rows } }
}

/// Which partitions a flush cycle takes.
package enum FlushScope: Sendable {
    /// Everything buffered (`/debug/flush`, shutdown).
    case all
    /// Partitions whose identity `type` value equals this (`/debug/flush/{type}`), or a table by name.
    case type(String)
    /// Partitions at `buffer_size` events or with their oldest event `buffer_timeout` old.
    case ready(nowMicros: Int64)
    /// No new partitions: only finish intents left pending by an earlier attempt (start-up recovery).
    case pendingOnly
}

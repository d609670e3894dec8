/// What an operator alerts on per table (docs/design.md §5): the last commit, how big the table's
/// history and file count are, and the age of the oldest event still waiting in the buffer.
struct TableFreshness: Encodable, Sendable, Equatable {
    var table: String
    /// Microseconds since the epoch of this process's last successful commit to the table (nil: none yet).
    var lastCommitMicros: Int64?
    /// Snapshots in the table's metadata and live data files, as of the last commit or maintenance run.
    var snapshots: Int?
    var dataFiles: Int?
    /// Age of the oldest buffered event of the table (0 when nothing is buffered).
    var oldestEventAgeMs: Int64 = 0
    /// The table's flushes failing since its last commit (nil: none has).
    var failure: FlushFailure?
    /// When the flush of the table now running started, microseconds since the epoch (nil: none is running).
    /// A flush held up by a hanging catalog or store shows here long before it fails.
    var flushStartedMicros: Int64?

    /// Flushes of a table that failed in a row: since when, and the last error.
    struct FlushFailure: Sendable, Equatable {
        /// When the first of them failed, microseconds since the epoch.
        var sinceMicros: Int64
        var lastError: String
    }

    enum CodingKeys: String, CodingKey {
        case table, lastCommitAt = "last_commit_at", snapshots, dataFiles = "data_files"
        case oldestEventAgeMs = "oldest_event_age_ms", flushFailingSince = "flush_failing_since"
        case lastFlushError = "last_flush_error", flushStartedAt = "flush_started_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(table, forKey: .table)
        try container.encode(lastCommitMicros.map(Timestamp.rfc3339), forKey: .lastCommitAt)
        try container.encode(snapshots, forKey: .snapshots)
        try container.encode(dataFiles, forKey: .dataFiles)
        try container.encode(oldestEventAgeMs, forKey: .oldestEventAgeMs)
        try container.encode(failure.map { Timestamp.rfc3339($0.sinceMicros) }, forKey: .flushFailingSince)
        try container.encode(failure?.lastError, forKey: .lastFlushError)
        try container.encode(flushStartedMicros.map(Timestamp.rfc3339), forKey: .flushStartedAt)
    }
}

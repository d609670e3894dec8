/// What `floe backfill` reads and how it commits.
public struct BackfillOptions: Sendable {
    /// Files, directories (recursive) and globs of NDJSON, optionally `.gz` or `.zst`.
    public var paths: [String]
    /// `segment`, `cloudevents`, or `auto` (default: per line, CloudEvents when it has `specversion`).
    public var format = "auto"
    /// Stop (with an error) once more than this many lines were rejected; nil never stops.
    public var maxErrors: Int?
    /// Where rejected lines are described (file, line, reason); default `{data-dir}/backfill-rejects.ndjson`.
    public var rejectsPath: String?
    /// Also record each rejected line in the `rejected` table (route `backfill`, request id
    /// `{file}:{line}`), committed with its unit like the events.
    public var rejectsTable = false
    /// Validate and count only: nothing is written and no progress is recorded.
    public var dryRun = false
    /// Most rows per data file (per partition); default 1,000,000.
    public var targetFileRows = 1_000_000
    /// Events per commit unit (one snapshot per table per unit); bounds memory. Default 1,000,000.
    public var unitEvents = 1_000_000
    /// Draw a progress bar (on a terminal) instead of periodic log lines.
    public var progressBar = false

    public init(paths: [String]) {
        self.paths = paths
    }
}

/// What a backfill did, printed at the end (and as JSON with `--json`).
public struct BackfillSummary: Sendable, Codable {
    public var inputFiles = 0
    public var skippedFiles = 0
    public var lines = 0
    public var events = 0
    public var rejected = 0
    public var dataFiles = 0
    public var commits = 0
    public var bytesWritten = 0
    public var seconds = 0.0
    public var dryRun = false

    public var eventsPerSecond = 0
    /// Why the run stopped before the end of its input (nil: it did not); the counts are then those of the units
    /// committed before it stopped.
    public var stopped: String?

    enum CodingKeys: String, CodingKey {
        case inputFiles = "input_files", skippedFiles = "skipped_files", lines, events, rejected
        case dataFiles = "data_files", commits, bytesWritten = "bytes_written", seconds, dryRun = "dry_run"
        case eventsPerSecond = "events_per_s", stopped
    }
}

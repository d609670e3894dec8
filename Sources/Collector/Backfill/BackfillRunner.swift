import Buffer
import Foundation
import Iceberg
import Logging
import Parquet
import FloeSupport

/// `floe backfill`: loads historical events from NDJSON files into the same tables as live traffic.
///
/// Lines go through the same normalizers as the HTTP path, in historical mode (a line's own
/// `receivedAt` is kept, `timestamp` is not skew-corrected). Input is committed in units of
/// about `unitEvents` events: one snapshot per table per unit, large data files (up to
/// `targetFileRows` rows per partition). Exactly-once across crashes and re-runs comes from
/// ``BackfillCheckpoints``: a unit is recorded (input line ranges, commit ids, receive time)
/// before its files are committed and finished in the same transaction that advances the input
/// checkpoints; a unit found pending is confirmed by its commit ids or redone from the same lines.
/// Re-running over files already complete (same path, size and mtime) adds nothing.
public struct BackfillRunner: Sendable {
    let configuration: FloeConfiguration
    let options: BackfillOptions
    let logger: Logger

    public init(configuration: FloeConfiguration, options: BackfillOptions, logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// Raised when more lines were rejected than `--max-errors` allows.
    public struct TooManyErrors: Error, CustomStringConvertible {
        public var rejected: Int
        public var rejectsPath: String
        /// What the units committed before the stop hold (`stopped` says why; the next run continues after them).
        public var committed: BackfillSummary
        public var description: String {
            let stop = "stopped after \(rejected) lines with rejected events (see \(rejectsPath))"
            guard !committed.dryRun else { return stop + " (dry run: nothing was written)" }
            return stop + "; \(committed.events) events from \(committed.lines) lines were committed before, in "
                + "\(committed.commits) commits, and the next run continues after them"
        }
    }

    public func run() async throws -> BackfillSummary {
        let started = ContinuousClock.now
        do {
            return try await load(started: started)
        } catch var stop as TooManyErrors {
            stop.committed.stopped = "more than \(options.maxErrors ?? 0) lines with rejected events"
            stop.committed.seconds = (ContinuousClock.now - started).inSeconds
            throw stop
        }
    }

    private func load(started: ContinuousClock.Instant) async throws -> BackfillSummary {
        let server = FloeServer(configuration: configuration, logger: logger)
        // A dry run opens no catalog: it neither creates the embedded one's catalog.db nor needs a REST one.
        let storage = options.dryRun ? nil : try server.makeStorage(earlyLocalWriteback: true)
        let fileIO = try storage?.fileIO ?? server.makeFileIO(earlyLocalWriteback: true)
        // Taken first: a run that is refused must not touch the running one's download cache.
        let lock = options.dryRun ? nil
            : try DataDirectoryLock(.backfill, in: configuration.dataDirectoryURL)
        defer { withExtendedLifetime(lock) {} }
        let cache = configuration.dataDirectoryURL.appendingPathComponent(
            options.dryRun ? "backfill-cache-dry-run-\(UUID().uuidString.prefix(8))" : "backfill-cache")
        // Downloads a killed run left behind go now (this run holds the lock), not only when a run ends.
        if !options.dryRun { try? FileManager.default.removeItem(at: cache) }
        let progressPath = configuration.dataDirectoryURL.appendingPathComponent("backfill.db").path
        let checkpoints = options.dryRun ? nil : try BackfillCheckpoints(path: progressPath)
        try checkpoints?.claim(target: try configuration.tablesTarget())
        let pending = try checkpoints?.pendingUnit()
        // A dry run counts what a run would load: it reads the progress there is for its target, and records none.
        let progress = try checkpoints ?? dryRunProgress(at: progressPath)
        let rejectsPath = options.rejectsPath
            ?? configuration.dataDirectoryURL.appendingPathComponent("backfill-rejects.ndjson").path
        let inputs = try await RemoteInputs.resolve(options.paths, pending: pending?.ranges.map(\.path) ?? [],
                                                    leavingOut: rejectsPath, fileIO: fileIO, cache: cache,
                                                    dataDirectory: configuration.dataDirectoryURL.path)
        defer { inputs.removeCache() }
        let files = inputs.files
        let parquet = try parquetOptions()
        let writer = storage.map { storage in
            BackfillWriter(tables: TableWriter(catalog: storage.catalog, fileIO: fileIO, namespace: namespace,
                                               tableProperties: configuration.tableProperties,
                                               instanceId: configuration.resolvedInstanceId, logger: logger),
                           logger: logger, parquet: parquet)
        }
        var rejects = RejectsLog(path: rejectsPath)
        try rejects.open()  // before any work: a rejects path that cannot be written is an error, not a silent loss
        var context = RunContext(options: options, privacy: try configuration.privacyRules(), rejects: rejects, logger: logger)
        context.summary.dryRun = options.dryRun
        context.progress.totalBytes = files.reduce(0) { $0 + (inputs.identity(of: $1)?.size ?? 0) }

        if let checkpoints, let writer, let unit = pending {
            try await recover(unit, checkpoints: checkpoints, writer: writer, inputs: inputs, context: &context)
        }

        let workers = BackfillWorker.make(targetFileRows: options.targetFileRows)
        var unitEvents = 0
        var ranges: [BackfillCheckpoints.Unit.Range] = []
        var identities: [String: BackfillCheckpoints.FileState] = [:]
        // One receive time per run: a unit redone after a crash rebuilds exactly the same rows.
        let receivedAt = WallClock.nowMicros()
        // The table is loaded (or created) while the first lines are normalized, once some are valid.
        var prepared: Task<Void, Never>?
        // Local files read to their end in this run, by head: a copy later in the run is known by them, as it would be
        // by their progress in a later run.
        var readThisRun: [String: [(size: Int64, fingerprint: String, lines: Int64)]] = [:]
        for path in files {
            guard let identity = inputs.identity(of: path) else { throw InputFiles.Missing(description: "cannot stat \(path)") }
            // S3 objects are known by name, size and time only: they are not fingerprinted.
            let isLocal = !inputs.isRemote(path)
            var state = try progress?.state(
                of: identity, head: { isLocal ? FileFingerprint.head(of: path, length: $0) : nil },
                fingerprint: { isLocal ? FileFingerprint.of(path, length: $0) : nil }) ?? identity
            if isLocal, state.fingerprint == nil || state.head == nil {
                state.fingerprint = state.fingerprint ?? FileFingerprint.of(path, length: identity.size)
                state.head = state.head
                    ?? FileFingerprint.head(of: path, length: min(identity.size, BackfillCheckpoints.headBytes))
                // A file completed by an earlier version gets them now, so that a touch or a new name later is recognised.
                if state.complete, let checkpoints { try checkpoints.remember(state) }
            }
            if state.committedLines == 0, !state.complete, let head = state.head,
               let copied = readThisRun[head]?.first(where: { $0.size <= identity.size && FileFingerprint.of(path, length: $0.size) == $0.fingerprint }) {
                // A copy of a file read earlier in this run: its lines are in this run's units already.
                state.committedLines = copied.lines
                state.complete = copied.size == identity.size
            }
            context.summary.inputFiles += 1
            if state.complete {
                context.summary.skippedFiles += 1
                context.progress.doneBytes += identity.size
                continue
            }
            identities[path] = state
            let local = try await inputs.localPath(for: path)
            let format = options.format
            let source = try BatchSource(path: local, name: path, skipping: state.committedLines)
            let batchLines = min(Self.linesPerBatch, max(1024, options.unitEvents))
            var rangeStart = state.committedLines
            var next = try await source.next(maxLines: batchLines)
            // Up to `batchesInFlight` batches are normalized at once (each worker takes its slices in
            // order, so rows stay in a fixed order), so no core waits for the slowest slice of a batch;
            // outcomes are counted in line order as the oldest batch finishes.
            var inFlight = BatchesInFlight()
            func settleOldest() async throws -> Int64 {
                let settled = try await inFlight.settleOldest()
                var number = settled.first
                for outcome in settled.outcomes {
                    try context.apply(outcome, file: path, lineNumber: number)
                    switch outcome {
                    case .events(let count), .rejected(let count, _): unitEvents += count
                    case .blank: break
                    }
                    number += 1
                }
                if prepared == nil, unitEvents > 0, let writer, format != "auto" {
                    let definition: TableDefinition = format == "cloudevents" ? .cloudEvents : .events
                    prepared = Task { try? await writer.prepare(definition) }
                }
                context.progress.currentFileBytes = source.bytesRead
                context.progress.tick(summary: context.summary, bar: options.progressBar, lines: settled.count, logger: logger)
                return number
            }
            do {
                while true {
                    // A batch starts while fewer than `batchesInFlight` run and the unit, counting a
                    // line as an event, is not full yet; otherwise the oldest batch is settled first.
                    if !next.lines.isEmpty, inFlight.count < Self.batchesInFlight, unitEvents + inFlight.lines < options.unitEvents {
                        let job = BackfillWorker.submit(next.lines, to: workers, format: format, receivedAt: receivedAt,
                                                        privacy: context.privacy, dryRun: options.dryRun, rejects: rejectsTable(path, firstLine: next.first))
                        inFlight.append(job, lines: next.lines, first: next.first)
                        if let done = inFlight.takeRetired() { source.recycle(done) }
                        next = try await source.next(maxLines: batchLines)
                        continue
                    }
                    guard !inFlight.isEmpty else { break }
                    var number = try await settleOldest()
                    // Units close on batch boundaries, after every batch in flight, so a unit is a whole number of lines.
                    if unitEvents >= options.unitEvents {
                        while !inFlight.isEmpty { number = try await settleOldest() }
                        ranges.append(.init(path: path, fromLine: rangeStart, toLine: number, endsFile: false))
                        try await commitUnit(BackfillWorker.drain(workers, targetFileRows: options.targetFileRows),
                                             ranges: ranges, receivedAt: receivedAt, identities: identities,
                                             checkpoints: checkpoints, writer: writer, prepared: prepared, context: &context)
                        unitEvents = 0
                        ranges = []
                        rangeStart = number
                    }
                }
            } catch {
                // Let the batches still running finish before their rows are dropped with the error.
                await inFlight.finishAll()
                throw error
            }
            ranges.append(.init(path: path, fromLine: rangeStart, toLine: source.linesRead, endsFile: true))
            if let head = state.head, let fingerprint = state.fingerprint {
                readThisRun[head, default: []].append((identity.size, fingerprint, source.linesRead))
            }
            context.progress.doneBytes += identity.size
            context.progress.currentFileBytes = 0
        }
        if !ranges.isEmpty {
            try await commitUnit(BackfillWorker.drain(workers, targetFileRows: options.targetFileRows),
                                 ranges: ranges, receivedAt: receivedAt, identities: identities,
                                 checkpoints: checkpoints, writer: writer, prepared: prepared, context: &context)
        }
        context.progress.finish(bar: options.progressBar)
        let elapsed = ContinuousClock.now - started
        context.summary.seconds = elapsed.inSeconds
        context.summary.eventsPerSecond = context.summary.seconds > 0
            ? Int(Double(context.summary.events) / context.summary.seconds) : 0
        try context.rejects.close()
        return context.summary
    }

    /// Where rejected lines of `path` also go (nil without `--rejects-table`).
    private func rejectsTable(_ path: String, firstLine: Int64) -> RunContext.RejectsTable? {
        options.rejectsTable ? RunContext.RejectsTable(path: path, firstLine: firstLine, maxEventBytes: configuration.maxEventBytes)
            : nil
    }

    /// Lines read and normalized together (split across cores); smaller when units are smaller.
    static let linesPerBatch = 16_384
    /// Batches normalized at once, so that no core waits for the slowest slice of a batch or for
    /// the other core (three measured 2–3 % faster than two; each holds one batch's buffer).
    static let batchesInFlight = 3

    private var namespace: [String] { configuration.namespace.split(separator: ".").map(String.init) }

    private func parquetOptions() throws -> WriterOptions {
        var options = WriterOptions()
        options.codec = try configuration.compressionCodec()
        return options
    }

    /// Records the unit, writes its files, commits them and advances the checkpoints.
    ///
    /// Recording the unit overlaps writing its files: it is durable before the first commit, and a
    /// crash before that leaves only files nothing references (the run after reads the lines again).
    private func commitUnit(_ builder: consuming BackfillUnitBuilder, ranges: [BackfillCheckpoints.Unit.Range], receivedAt: Int64,
                            identities: [String: BackfillCheckpoints.FileState], checkpoints: BackfillCheckpoints?,
                            writer: BackfillWriter?, prepared: Task<Void, Never>?, context: inout RunContext) async throws {
        let files = builder.files()
        let tables = Set(files.map(\.table.name)).sorted()
        let unit = BackfillCheckpoints.Unit(
            commitIds: Dictionary(uniqueKeysWithValues: tables.map { ($0, UUID().uuidString.lowercased()) }),
            ranges: ranges, receivedAt: receivedAt, files: Set(ranges.map(\.path)).sorted().compactMap { identities[$0] })
        guard let checkpoints, let writer else { return }  // dry run: counted, nothing written
        await prepared?.value
        async let recorded: Void = Self.record(unit, in: checkpoints)
        let written: [BackfillWriter.WrittenTable]
        do {
            written = try await writer.write(files, commitIds: unit.commitIds, skipping: [])
        } catch {
            _ = try? await recorded
            throw error
        }
        // The rows are written: their memory is given back on another core while the commit runs.
        Self.release(UnitRows(builder: consume builder, files: consume files))
        try await recorded
        let result = try await writer.append(written)
        context.summary.dataFiles += result.files
        context.summary.commits += result.commits
        context.summary.bytesWritten += result.bytes
        try checkpoints.finish(unit, files: identities)
        context.committed = context.summary
    }

    private static let checkpointQueue = DispatchQueue(label: "floe.backfill.checkpoints")

    /// Records `unit` on a thread of its own (its fsync would hold a core of the cooperative pool).
    private static func record(_ unit: BackfillCheckpoints.Unit, in checkpoints: BackfillCheckpoints) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            checkpointQueue.async { continuation.resume(with: Result { try checkpoints.begin(unit) }) }
        }
    }

    /// A unit's rows, held only to be freed elsewhere.
    private final class UnitRows: @unchecked Sendable {
        // @unchecked: touched by one thread at a time (handed over once).
        private var rows: (BackfillUnitBuilder, [BackfillUnitBuilder.FileRows])?
        init(builder: consuming BackfillUnitBuilder, files: [BackfillUnitBuilder.FileRows]) { rows = (builder, files) }
        func free() { rows = nil }
    }

    private static func release(_ rows: UnitRows) {
        DispatchQueue.global(qos: .utility).async { rows.free() }
    }

    /// Finishes a unit an earlier run left pending: confirms its commits, redoes the missing ones.
    private func recover(_ unit: BackfillCheckpoints.Unit, checkpoints: BackfillCheckpoints, writer: BackfillWriter,
                         inputs: RemoteInputs, context: inout RunContext) async throws {
        var committed = Set<String>()
        for (table, commitId) in unit.commitIds where try await writer.isCommitted(table: table, commitId: commitId) {
            committed.insert(table)
        }
        // The files as the unit read them (a file may have grown since: its new lines are read by the run after).
        var identities: [String: BackfillCheckpoints.FileState] = [:]
        for file in unit.files ?? [] { identities[file.path] = file }
        for range in unit.ranges where identities[range.path] == nil {
            var identity = inputs.identity(of: range.path)
            if let size = identity?.size, !inputs.isRemote(range.path) {
                identity?.fingerprint = FileFingerprint.of(range.path, length: size)
                identity?.head = FileFingerprint.head(of: range.path, length: min(size, BackfillCheckpoints.headBytes))
            }
            identities[range.path] = identity
        }
        if committed.count < unit.commitIds.count,
           let changed = unit.ranges.first(where: { range in
               !canReadAgain(range.path, as: unit.files?.first { $0.path == range.path }, inputs: inputs)
           }) {
            // Redone from other lines, its commits would store the wrong rows: it is given up, and this run reads those
            // inputs as they are now, from their progress (which the unit never advanced).
            try checkpoints.abandonPendingUnit()
            let hint = committed.isEmpty ? "nothing of it was committed"
                : "some of its tables were committed: rows read again may be stored twice (floe maintain --remove-duplicates)"
            logger.warning("""
                gave up the backfill unit an earlier run left pending: an input it read cannot be read again as it was \
                (a pipe, or a file replaced or cut short since); this run reads the inputs as they are now
                """, metadata: ["floe.input": "\(changed.path)", "floe.commits_confirmed": "\(committed.count)", "floe.hint": "\(hint)"])
            return
        }
        if committed.count < unit.commitIds.count {
            let workers = BackfillWorker.make(targetFileRows: options.targetFileRows)
            for range in unit.ranges {
                guard inputs.isRemote(range.path) || FileManager.default.fileExists(atPath: range.path) else {
                    throw InputFiles.Missing(description: "an earlier backfill left a unit pending that needs \(range.path) "
                        + "(lines \(range.fromLine + 1)-\(range.toLine)), which is gone: put it back and run again to finish "
                        + "that unit, or remove \(configuration.dataDirectoryURL.appendingPathComponent("backfill.db").path) "
                        + "to drop all backfill progress (files loaded before would load again)")
                }
                let local = try await inputs.localPath(for: range.path)
                let format = options.format
                let source = try BatchSource(path: local, name: range.path, skipping: range.fromLine)
                var finished = false
                while !finished {
                    let (read, first) = try await source.next(maxLines: Self.linesPerBatch)
                    // The unit's lines end at `toLine`, which may fall inside the batch.
                    let lines = read.slice(0..<Int(min(Int64(read.count), max(0, range.toLine - first))))
                    finished = first + Int64(read.count) >= range.toLine
                    if lines.isEmpty { break }
                    let outcomes = try await BackfillWorker.submit(lines, to: workers, format: format, receivedAt: unit.receivedAt,
                                                                   privacy: context.privacy, dryRun: false,
                                                                   rejects: rejectsTable(range.path, firstLine: first)).outcomes()
                    // Counted in this run's summary (the run that crashed never reported them); their rejects were
                    // written to the rejects file by that run already.
                    for outcome in outcomes { context.count(outcome) }
                }
            }
            let builder = BackfillWorker.drain(workers, targetFileRows: options.targetFileRows)
            let result = try await writer.commit(builder.files(), commitIds: unit.commitIds, skipping: committed)
            context.summary.dataFiles += result.files
            context.summary.commits += result.commits
            context.summary.bytesWritten += result.bytes
        }
        try checkpoints.finish(unit, files: identities)
        logger.info("finished the backfill unit an earlier run left pending", metadata: [
            "floe.commits_confirmed": "\(committed.count)", "floe.commits_redone": "\(unit.commitIds.count - committed.count)",
        ])
    }

    /// The progress a dry run reads: that of `path` when it exists and belongs to this run's target, opened so that
    /// looking files up records nothing.
    private func dryRunProgress(at path: String) throws -> BackfillCheckpoints? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let progress = try BackfillCheckpoints(path: path, recordsLookups: false)
        return try progress.belongs(to: try configuration.tablesTarget()) ? progress : nil
    }

    /// Whether a pending unit's lines can be read again from `path` as the unit read them (`recorded`: the file as it
    /// was then, when the unit says): not from a pipe, nor from a local file that no longer starts with the bytes the
    /// unit read, nor from an S3 object of another size or time.
    private func canReadAgain(_ path: String, as recorded: BackfillCheckpoints.FileState?, inputs: RemoteInputs) -> Bool {
        if inputs.isRemote(path) {
            guard let recorded, let now = inputs.identity(of: path) else { return true }
            return now.size == recorded.size && now.modified == recorded.modified
        }
        guard let status = FileStatus(path: path) else { return true }  // gone: reported as such by the redo
        guard status.isRegularFile else { return false }
        guard let recorded, let fingerprint = recorded.fingerprint else { return true }
        return status.size >= recorded.size && FileFingerprint.of(path, length: recorded.size) == fingerprint
    }

    /// The size and modification time of the file at `path`, through symbolic links: a link's own size and time
    /// do not change when its target is appended to or replaced.
    static func identity(of path: String) -> BackfillCheckpoints.FileState? {
        // Through a `Date`, as progress recorded by earlier versions was (a time one microsecond off would cost a
        // fingerprint of the file, not its progress).
        FileStatus(path: path).map {
            BackfillCheckpoints.FileState(path: path, size: $0.size, modified: WallClock.microsTruncated($0.modified))
        }
    }
}

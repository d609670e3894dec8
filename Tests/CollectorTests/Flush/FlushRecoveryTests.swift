import Buffer
@testable import Collector
import Foundation
@testable import Iceberg
import IcebergTestSupport
import Logging
import SQLite
import Testing
import FloeSupport

/// Every branch of the flush protocol's recovery (docs/design.md §5) against the embedded SQL
/// catalog over an in-memory store, with faults injected in the store and the catalog.
///
/// A flush records an intent (commit id, files, row ranges), writes the files, commits a snapshot
/// carrying the commit id and then drops the rows. A pending intent is resolved first on the next
/// flush: committed already → only the rows are dropped; not committed → the same files are
/// written again and committed. Either way each event ends up in its table exactly once.
@Suite("Flush recovery")
struct FlushRecoveryTests {
    static let logger = Logger(label: "floe-test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let warehouse = "file:///floe-test/warehouse"
    static let events = TableIdentifier(namespace: ["analytics"], name: "events")
    static let cloudEvents = TableIdentifier(namespace: ["analytics"], name: "cloudevents")

    /// Table properties: no commit retries (a failed commit fails the flush), or fast ones.
    static let noRetries = ["commit.retry.num-retries": "0"]
    static let fastRetries = ["commit.retry.num-retries": "3", "commit.retry.min-wait-ms": "1",
                              "commit.retry.max-wait-ms": "2"]

    /// A data directory and an object store that outlive the "processes" started on them.
    final class Rig: Sendable {
        let directory: URL
        let storage = MemoryFileIO()
        let io: FaultInjectingFileIO

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-recovery-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            io = FaultInjectingFileIO(base: storage)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// One Floe instance (process): its buffer (`buffer.db` of the data directory, or another one for a
        /// second instance), the catalog (failing the commits `faults` script) and a coordinator.
        func start(faults: [FaultInjectingCatalog.Fault] = [], tableProperties: [String: String] = FlushRecoveryTests.noRetries,
                   bufferName: String = "buffer", bufferSize: Int = 1_000) throws -> Instance {
            var configuration = BufferConfiguration(path: directory.appendingPathComponent("\(bufferName).db").path)
            configuration.durability = .os
            let buffer = try EventBuffer(configuration: configuration, logger: FlushRecoveryTests.logger)
            let catalog = try SQLCatalog(databasePath: directory.appendingPathComponent("catalog.db").path,
                                         warehouseLocation: FlushRecoveryTests.warehouse, fileIO: io,
                                         logger: FlushRecoveryTests.logger)
            let lagging = LaggingCatalog(base: catalog)
            let faulty = FaultInjectingCatalog(base: lagging, faults: faults)
            var settings = FlushSettings()
            settings.bufferSize = bufferSize
            settings.tableProperties = tableProperties
            settings.instanceId = bufferName
            settings.parallelism = 2
            let coordinator = FlushCoordinator(buffer: buffer, catalog: faulty, fileIO: io, namespace: ["analytics"],
                                               tables: TableDefinition.all, settings: settings,
                                               logger: FlushRecoveryTests.logger)
            return Instance(buffer: buffer, catalog: catalog, lagging: lagging, faulty: faulty, coordinator: coordinator)
        }

        /// The table's current snapshot summary (empty before the first commit).
        func summary(_ id: TableIdentifier) async throws -> [String: String] {
            let catalog = try SQLCatalog(databasePath: directory.appendingPathComponent("catalog.db").path,
                                         warehouseLocation: FlushRecoveryTests.warehouse, fileIO: storage,
                                         logger: FlushRecoveryTests.logger)
            return try await catalog.loadTable(id).metadata.currentSnapshot?.summary ?? [:]
        }

        func metadata(_ id: TableIdentifier) async throws -> TableMetadata {
            let catalog = try SQLCatalog(databasePath: directory.appendingPathComponent("catalog.db").path,
                                         warehouseLocation: FlushRecoveryTests.warehouse, fileIO: storage,
                                         logger: FlushRecoveryTests.logger)
            return try await catalog.loadTable(id).metadata
        }

        /// Rows in the table as of its current snapshot.
        func records(_ id: TableIdentifier) async throws -> Int {
            Int(try await summary(id)["total-records"] ?? "0") ?? -1
        }

        /// The live data files of the table's current snapshot, read from its manifests.
        func liveDataFiles(_ id: TableIdentifier) async throws -> [String] {
            guard let snapshot = try await metadata(id).currentSnapshot else { return [] }
            var files: [String] = []
            for manifest in try ManifestListReader.read(try await storage.read(snapshot.manifestList)) {
                let bytes = try await storage.read(manifest.manifestPath)
                files += try ManifestReader.fileReferences(bytes, manifestPath: manifest.manifestPath)
                    .filter(\.isLive).map(\.location)
            }
            return files
        }

        /// Parquet objects stored under the table's data directory.
        func storedDataFiles(_ id: TableIdentifier) async throws -> Set<String> {
            Set(try await storage.list(prefix: "\(FlushRecoveryTests.warehouse)/analytics/\(id.name)/data/")
                .filter { $0.hasSuffix(".parquet") })
        }

        /// Each event once: the table holds `rows` rows in distinct live files, no commit id twice,
        /// nothing left in the store that the table does not reference, nothing left to flush.
        func expectExactlyOnce(_ id: TableIdentifier, rows: Int, in process: Instance,
                               sourceLocation: SourceLocation = #_sourceLocation) async throws {
            #expect(try await records(id) == rows, "total-records", sourceLocation: sourceLocation)
            let live = try await liveDataFiles(id)
            #expect(Set(live).count == live.count, "a data file is referenced twice", sourceLocation: sourceLocation)
            #expect(try await summary(id)["total-data-files"] == String(live.count), sourceLocation: sourceLocation)
            #expect(try await storedDataFiles(id) == Set(live), "orphaned or missing data files", sourceLocation: sourceLocation)
            let commitIds = try await metadata(id).mainAncestry().compactMap { $0.summary["floe.commit-id"] }
            #expect(Set(commitIds).count == commitIds.count, "a commit id is in the table twice", sourceLocation: sourceLocation)
            #expect(!process.buffer.stats().keys.contains { $0.table == id.name }, "rows left in the buffer",
                    sourceLocation: sourceLocation)
            #expect(try await process.buffer.pendingIntents().filter { $0.table == id.name }.isEmpty,
                    "an intent is still pending", sourceLocation: sourceLocation)
        }
    }

    struct Instance: Sendable {
        let buffer: EventBuffer
        let catalog: SQLCatalog
        /// Between the coordinator's fault injection and the catalog: reads that lag on cue.
        let lagging: LaggingCatalog
        let faulty: FaultInjectingCatalog
        let coordinator: FlushCoordinator

        /// Buffers `count` Segment messages per type (one partition per type), as `/v1/batch` would.
        func ingest(_ count: Int, types: [String] = ["track", "page"]) async throws {
            let messages = types.flatMap { type in (0..<count).map { _ in segmentMessage(type) } }
            let outcome = try await Ingestor(buffer: buffer, metrics: IngestMetrics())
                .segmentBatch(Array(segmentBatch(messages).utf8), request: Self.request, authorize: { _ in nil })
            try #require(outcome.accepted == messages.count && outcome.rejected.isEmpty)
        }

        func ingestCloudEvents(_ count: Int) async throws {
            let body = "[" + (0..<count).map { _ in cloudEvent() }.joined(separator: ",") + "]"
            let outcome = try await Ingestor(buffer: buffer, metrics: IngestMetrics())
                .cloudEvents(Array(body.utf8), request: Self.request, batch: true, authorize: { _ in nil })
            try #require(outcome.accepted == count)
        }

        static var request: IngestContext {
            IngestContext(receivedAt: WallClock.nowMicros(), clientIP: nil, route: "/v1/batch")
        }

        func pending() async throws -> [FlushIntent] { try await buffer.pendingIntents() }

        func buffered(_ table: String) -> Int {
            buffer.stats().filter { $0.key.table == table }.reduce(0) { $0 + $1.value.count }
        }
    }

    // MARK: No recovery needed

    @Test("a clean flush commits one snapshot carrying the commit id, the instance and the writer's last commit")
    func cleanFlush() async throws {
        let rig = try Rig()
        let process = try rig.start(bufferSize: 3)
        try await process.ingest(5)
        let report = try await process.coordinator.flush(.all)
        let table = try #require(report.tables.first { $0.table == "events" })
        #expect(report.tables.count == 1 && table.rows == 10 && !table.recovered)
        // 5 rows per partition in files of at most 3: two files per partition.
        #expect(table.files.count == 4 && table.partitions == ["page/2025-06-01-10", "track/2025-06-01-10"])
        let summary = try await rig.summary(Self.events)
        #expect(summary["floe.commit-id"] == table.commitId)
        #expect(summary["floe.instance-id"] == "buffer")
        let metadata = try await rig.metadata(Self.events)
        #expect(metadata.properties["floe.writer.\(process.buffer.writerId).last-commit"] == "\(table.commitId) \(table.snapshotId)")
        try await rig.expectExactlyOnce(Self.events, rows: 10, in: process)
        #expect(process.faulty.commits == 1)
    }

    // MARK: Not committed: the same files are written again and committed

    @Test("a data file upload fails: the intent stays pending and the next flush writes the same files and commits")
    func dataFileUploadFails() async throws {
        let rig = try Rig()
        let process = try rig.start()
        try await process.ingest(4)
        rig.io.fail(.write, times: 1) { $0.hasSuffix(".parquet") }
        await #expect(throws: FileIOError.self) { _ = try await process.coordinator.flush(.all) }

        let intent = try #require(try await process.pending().first)
        #expect(intent.table == "events" && intent.files.count == 2)
        #expect(rig.io.injectedFailures(of: .write).count == 1)
        #expect(try await rig.records(Self.events) == 0)
        #expect(process.buffered("events") == 8)

        let report = try await process.coordinator.flush(.all)
        #expect(report.tables.count == 1)
        let recovered = try #require(report.tables.first)
        #expect(recovered.recovered && recovered.commitId == intent.commitId && recovered.rows == 8)
        #expect(Set(recovered.files) == Set(intent.files.map(\.path)))
        #expect(Set(try await rig.liveDataFiles(Self.events)) == Set(intent.files.map(\.path)))
        try await rig.expectExactlyOnce(Self.events, rows: 8, in: process)
    }

    @Test("the manifest cannot be written: the flush fails before the commit and the next one redoes it")
    func manifestWriteFails() async throws {
        let rig = try Rig()
        let process = try rig.start()
        try await process.ingest(3)
        rig.io.fail(.write, times: 1) { $0.contains("/metadata/") && $0.hasSuffix(".avro") }
        await #expect { _ = try await process.coordinator.flush(.all) } throws: { ($0 as? CatalogError)?.code == .io }
        let intent = try #require(try await process.pending().first)
        #expect(process.faulty.commits == 0)

        let report = try await process.coordinator.flush(.all)
        #expect(report.tables.map(\.commitId) == [intent.commitId] && report.tables.allSatisfy(\.recovered))
        try await rig.expectExactlyOnce(Self.events, rows: 6, in: process)
    }

    @Test("the catalog cannot write the table metadata: nothing is committed and the next flush commits")
    func metadataWriteFails() async throws {
        let rig = try Rig()
        let process = try rig.start()
        _ = try await process.coordinator.location(of: .events)  // the table exists: only the commit's metadata fails
        try await process.ingest(3)
        rig.io.fail(.write, times: 1) { $0.hasSuffix(".metadata.json") }
        await #expect { _ = try await process.coordinator.flush(.all) } throws: { ($0 as? CatalogError)?.code == .io }
        #expect(rig.io.injectedFailures(of: .write).count == 1)
        let intent = try #require(try await process.pending().first)
        #expect(try await rig.metadata(Self.events).snapshots.isEmpty)

        let report = try await process.coordinator.flush(.all)
        #expect(report.tables.map(\.commitId) == [intent.commitId] && report.tables.allSatisfy(\.recovered))
        try await rig.expectExactlyOnce(Self.events, rows: 6, in: process)
    }

    @Test("the commit's state is unknown and it was not applied: the next flush finds no commit id and commits")
    func unknownBeforeApply() async throws {
        let rig = try Rig()
        let process = try rig.start(faults: [.unknownBeforeApply])
        try await process.ingest(3)
        await #expect { _ = try await process.coordinator.flush(.all) } throws: {
            ($0 as? CatalogError)?.code == .commitStateUnknown
        }
        let intent = try #require(try await process.pending().first)
        #expect(try await rig.metadata(Self.events).snapshots.isEmpty)

        let report = try await process.coordinator.flush(.all)
        let recovered = try #require(report.tables.first)
        #expect(recovered.recovered && recovered.commitId == intent.commitId && recovered.sequenceNumber == 1)
        #expect(try await rig.summary(Self.events)["floe.commit-id"] == intent.commitId)
        #expect(process.faulty.commits == 2)
        try await rig.expectExactlyOnce(Self.events, rows: 6, in: process)
    }

    @Test("the commit conflicts and retries are exhausted: the next flush commits the same intent")
    func conflictExhausted() async throws {
        let rig = try Rig()
        let process = try rig.start(faults: [.conflict])
        try await process.ingest(2)
        await #expect { _ = try await process.coordinator.flush(.all) } throws: { ($0 as? CatalogError)?.code == .conflict }
        let intent = try #require(try await process.pending().first)

        let report = try await process.coordinator.flush(.all)
        #expect(report.tables.map(\.commitId) == [intent.commitId] && report.tables.allSatisfy(\.recovered))
        try await rig.expectExactlyOnce(Self.events, rows: 4, in: process)
    }

    // MARK: Committed already: only the rows are dropped

    @Test("the commit was applied but its answer lost: the next flush finds the commit id and only drops the rows")
    func unknownAfterApply() async throws {
        let rig = try Rig()
        let process = try rig.start(faults: [.unknownAfterApply])
        try await process.ingest(3)
        await #expect { _ = try await process.coordinator.flush(.all) } throws: {
            ($0 as? CatalogError)?.code == .commitStateUnknown
        }
        let intent = try #require(try await process.pending().first)
        // Committed, yet still buffered: a naive retry would store every event twice.
        let committed = try await rig.metadata(Self.events)
        #expect(committed.snapshots.count == 1)
        #expect(committed.currentSnapshot?.summary["floe.commit-id"] == intent.commitId)
        #expect(process.buffered("events") == 6)

        let report = try await process.coordinator.flush(.all)
        let recovered = try #require(report.tables.first)
        #expect(report.tables.count == 1)
        #expect(recovered.recovered && recovered.commitId == intent.commitId && recovered.rows == 6)
        #expect(recovered.snapshotId == committed.currentSnapshotId)
        // Found, not committed again: no sequence number of its own.
        #expect(recovered.sequenceNumber == -1)
        #expect(process.faulty.commits == 1)
        #expect(try await rig.metadata(Self.events).snapshots.count == 1)
        try await rig.expectExactlyOnce(Self.events, rows: 6, in: process)
    }

    @Test("a committed flush whose snapshot was expired since is found by the writer's last-commit property")
    func committedAndExpired() async throws {
        let rig = try Rig()
        let first = try rig.start(faults: [.unknownAfterApply], bufferName: "instance-a")
        try await first.ingest(2)
        await #expect(throws: CatalogError.self) { _ = try await first.coordinator.flush(.all) }
        let intent = try #require(try await first.pending().first)

        // Another instance commits to the same table, then expires every snapshot but its own.
        let second = try rig.start(bufferName: "instance-b")
        try await second.ingest(3)
        #expect(try await second.coordinator.flush(.all).rows == 6)
        var maintenance = MaintenanceSettings()
        maintenance.maxSnapshotAgeMs = 0
        maintenance.maxSnapshots = 1
        #expect(try await second.coordinator.expireSnapshots(maintenance)["events"] == 1)
        let metadata = try await rig.metadata(Self.events)
        #expect(metadata.snapshots.count == 1)
        #expect(!metadata.snapshots.contains { $0.summary["floe.commit-id"] == intent.commitId })
        #expect(try await rig.records(Self.events) == 10)

        let report = try await first.coordinator.flush(.all)
        #expect(report.tables.map(\.commitId) == [intent.commitId])
        #expect(report.tables.allSatisfy { $0.recovered && $0.sequenceNumber == -1 })
        #expect(first.faulty.commits == 1)
        try await rig.expectExactlyOnce(Self.events, rows: 10, in: first)
        #expect(try await rig.metadata(Self.events).snapshots.count == 1)
    }

    @Test("a catalog that does not show the applied commit yet: the intent is redone, and the append finds the commit instead of committing twice")
    func committedButNotVisibleYet() async throws {
        let rig = try Rig()
        let process = try rig.start(faults: [.unknownAfterApply])
        _ = try await process.coordinator.location(of: .events)
        let before = try await process.catalog.loadTable(Self.events)
        try await process.ingest(3)
        await #expect(throws: CatalogError.self) { _ = try await process.coordinator.flush(.all) }
        let intent = try #require(try await process.pending().first)
        let committed = try #require(try await rig.metadata(Self.events).currentSnapshot)

        // The recovery's lookup sees the table as it was before the commit.
        process.lagging.serve(before, forNextLoads: 1)
        let report = try await process.coordinator.flush(.all)
        #expect(process.lagging.staleLoads == 1)
        let recovered = try #require(report.tables.first)
        #expect(recovered.recovered && recovered.commitId == intent.commitId)
        #expect(recovered.snapshotId == committed.snapshotId && recovered.sequenceNumber == committed.sequenceNumber)
        #expect(process.faulty.commits == 1)
        #expect(try await rig.metadata(Self.events).snapshots.count == 1)
        try await rig.expectExactlyOnce(Self.events, rows: 6, in: process)
    }

    // MARK: Settled inside one flush

    @Test("with retries, an applied commit whose answer was lost is found on reload, within the same flush")
    func unknownAfterApplyRetried() async throws {
        let rig = try Rig()
        let process = try rig.start(faults: [.unknownAfterApply], tableProperties: Self.fastRetries)
        try await process.ingest(3)
        let report = try await process.coordinator.flush(.all)
        #expect(report.tables.count == 1 && report.rows == 6 && !report.tables[0].recovered)
        #expect(process.faulty.commits == 1)
        #expect(try await rig.metadata(Self.events).snapshots.count == 1)
        try await rig.expectExactlyOnce(Self.events, rows: 6, in: process)
    }

    @Test("with retries, a commit raced by another instance is rebased onto its snapshot: both kept, each once")
    func rebasedAfterConcurrentCommit() async throws {
        let rig = try Rig()
        let other = try rig.start(tableProperties: Self.fastRetries, bufferName: "instance-b")
        try await other.ingest(2, types: ["identify"])
        _ = try await other.coordinator.location(of: .events)
        let process = try rig.start(faults: [.concurrentWriter({ _ in _ = try await other.coordinator.flush(.all) }),
                                             .unknownBeforeApply],
                                    tableProperties: Self.fastRetries)
        try await process.ingest(3)
        let report = try await process.coordinator.flush(.all)
        #expect(report.rows == 6 && report.tables.map(\.recovered) == [false])
        // Raced (conflict), then an unknown state: reloaded, not found, committed on the third attempt.
        #expect(process.faulty.commits == 3)
        let metadata = try await rig.metadata(Self.events)
        #expect(metadata.snapshots.count == 2)
        #expect(metadata.currentSnapshot?.summary["floe.commit-id"] == report.tables[0].commitId)
        try await rig.expectExactlyOnce(Self.events, rows: 8, in: process)
        #expect(other.buffer.stats().isEmpty)
    }

    // MARK: Around the recovery

    @Test("events buffered after a failed flush are committed after the pending intent, each once")
    func newRowsAfterAFailure() async throws {
        let rig = try Rig()
        let process = try rig.start(faults: [.unknownBeforeApply])
        try await process.ingest(3)
        await #expect(throws: CatalogError.self) { _ = try await process.coordinator.flush(.all) }
        let intent = try #require(try await process.pending().first)
        try await process.ingest(2, types: ["track", "screen"])
        #expect(process.buffered("events") == 10)

        let report = try await process.coordinator.flush(.all)
        #expect(report.tables.count == 2)
        #expect(report.tables[0].commitId == intent.commitId && report.tables[0].recovered && report.tables[0].rows == 6)
        #expect(!report.tables[1].recovered && report.tables[1].rows == 4)
        #expect(report.tables[1].partitions == ["screen/2025-06-01-10", "track/2025-06-01-10"])
        try await rig.expectExactlyOnce(Self.events, rows: 10, in: process)
    }

    @Test("one table's failed commit does not hold up the others; the flush still reports the failure")
    func tablesAreIndependent() async throws {
        let rig = try Rig()
        // The events table commits first: its commit fails, the cloudevents one goes through.
        let process = try rig.start(faults: [.unknownBeforeApply])
        try await process.ingest(2)
        try await process.ingestCloudEvents(3)
        await #expect(throws: CatalogError.self) { _ = try await process.coordinator.flush(.all) }
        #expect(try await process.pending().map(\.table) == ["events"])
        try await rig.expectExactlyOnce(Self.cloudEvents, rows: 3, in: process)
        #expect(process.buffered("events") == 4)

        let report = try await process.coordinator.flush(.all)
        #expect(report.tables.map(\.table) == ["events"] && report.tables.allSatisfy(\.recovered))
        try await rig.expectExactlyOnce(Self.events, rows: 4, in: process)
        try await rig.expectExactlyOnce(Self.cloudEvents, rows: 3, in: process)
    }

    @Test("after a restart, .pendingOnly finishes a flush committed before the crash and leaves new events alone")
    func restartAfterCommit() async throws {
        let rig = try Rig()
        let intent: FlushIntent
        do {
            let crashed = try rig.start(faults: [.unknownAfterApply])
            try await crashed.ingest(3)
            await #expect(throws: CatalogError.self) { _ = try await crashed.coordinator.flush(.all) }
            intent = try #require(try await crashed.pending().first)
        }
        let restarted = try rig.start()
        #expect(restarted.buffer.hasPendingIntents)
        #expect(restarted.buffered("events") == 6)
        try await restarted.ingest(1, types: ["alias"])

        let recovery = try await restarted.coordinator.flush(.pendingOnly)
        #expect(recovery.tables.map(\.commitId) == [intent.commitId] && recovery.tables.allSatisfy(\.recovered))
        #expect(restarted.faulty.commits == 0)
        #expect(try await rig.records(Self.events) == 6)
        #expect(restarted.buffered("events") == 1)
        #expect(!restarted.buffer.hasPendingIntents)

        #expect(try await restarted.coordinator.flush(.all).rows == 1)
        try await rig.expectExactlyOnce(Self.events, rows: 7, in: restarted)
    }

    @Test("after a restart, .pendingOnly redoes a flush that never reached the catalog")
    func restartBeforeCommit() async throws {
        let rig = try Rig()
        let intent: FlushIntent
        do {
            let crashed = try rig.start()
            try await crashed.ingest(3)
            rig.io.fail(.write, times: 1) { $0.hasSuffix(".parquet") }
            await #expect(throws: FileIOError.self) { _ = try await crashed.coordinator.flush(.all) }
            intent = try #require(try await crashed.pending().first)
        }
        let restarted = try rig.start()
        let recovery = try await restarted.coordinator.flush(.pendingOnly)
        #expect(recovery.tables.map(\.commitId) == [intent.commitId])
        #expect(recovery.tables.allSatisfy { $0.recovered && $0.rows == 6 && $0.sequenceNumber == 1 })
        #expect(restarted.faulty.commits == 1)
        try await rig.expectExactlyOnce(Self.events, rows: 6, in: restarted)
    }

    @Test("after a restart, an intent whose table was dropped meanwhile creates the table again and commits")
    func pendingIntentForADroppedTable() async throws {
        let rig = try Rig()
        do {
            let crashed = try rig.start()
            try await crashed.ingest(3)
            rig.io.fail(.write, times: 1) { $0.hasSuffix(".parquet") }
            await #expect(throws: FileIOError.self) { _ = try await crashed.coordinator.flush(.all) }
            #expect(try await crashed.pending().count == 1)
        }
        // An operator drops the table while Floe is down.
        let database = try SQLiteDatabase(path: rig.directory.appendingPathComponent("catalog.db").path)
        #expect(try database.update("DELETE FROM iceberg_tables WHERE table_name = ?1", [.text(Self.events.name)]) == 1)
        let restarted = try rig.start()
        let recovery = try await restarted.coordinator.flush(.pendingOnly)
        #expect(recovery.tables.allSatisfy { $0.recovered && $0.rows == 6 })
        try await rig.expectExactlyOnce(Self.events, rows: 6, in: restarted)
    }

    @Test("a table dropped while Floe runs is created again: one cycle fails, the next commits every event once")
    func tableDroppedWhileRunning() async throws {
        let rig = try Rig()
        let process = try rig.start()
        try await process.ingest(2)
        #expect(try await process.coordinator.flush(.all).rows == 4)
        let database = try SQLiteDatabase(path: rig.directory.appendingPathComponent("catalog.db").path)
        #expect(try database.update("DELETE FROM iceberg_tables WHERE table_name = ?1", [.text(Self.events.name)]) == 1)
        try await process.ingest(3)
        await #expect(throws: CatalogError.self) { _ = try await process.coordinator.flush(.all) }
        #expect(try await process.coordinator.flush(.all).rows == 6)
        // The new table holds the events buffered since (the dropped table's files stay in the store).
        #expect(try await rig.records(Self.events) == 6)
        let live = try await rig.liveDataFiles(Self.events)
        #expect(Set(live).count == live.count && live.count == 2)
        #expect(try await rig.storedDataFiles(Self.events).isSuperset(of: live))
        #expect(process.buffered(Self.events.name) == 0 && !process.buffer.hasPendingIntents)
    }

    @Test("a flush with nothing pending and nothing buffered commits nothing")
    func nothingToDo() async throws {
        let rig = try Rig()
        let process = try rig.start()
        #expect(try await process.coordinator.flush(.pendingOnly).tables.isEmpty)
        #expect(try await process.coordinator.flush(.all).tables.isEmpty)
        #expect(process.faulty.commits == 0)
    }
}

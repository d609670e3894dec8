import Foundation
@testable import Iceberg
import IcebergTestSupport
import Logging
import Testing

@Suite("TableAppender")
struct TableAppenderTests {
    let fileIO = MemoryFileIO()
    let sqlCatalog: SQLCatalog
    let table = EventsTable.identifier

    init() throws {
        sqlCatalog = try SQLCatalog(databasePath: try Fixtures.temporaryDirectory() + "/catalog.db",
                                    warehouseLocation: "file:///w", fileIO: fileIO, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func prepare() async throws {
        _ = try await sqlCatalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
    }

    func appender(_ catalog: any Catalog) -> TableAppender {
        var appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        var policy = CommitRetryPolicy()
        policy.minWait = .milliseconds(1)
        policy.maxWait = .milliseconds(2)
        appender.retryPolicy = policy
        return appender
    }

    func files(_ tag: String, rows: Int64 = 10) -> [DataFile] {
        [
            EventsTable.dataFile(location: "file:///w/analytics/events/data/\(tag)-0.parquet", type: "track", hour: 473352, rows: rows),
            EventsTable.dataFile(location: "file:///w/analytics/events/data/\(tag)-1.parquet", type: "page", hour: 473353, rows: rows),
        ]
    }

    func manifestList(_ snapshot: Snapshot?) async throws -> [ManifestFile] {
        try ManifestListReader.read(try await fileIO.read(try #require(snapshot).manifestList))
    }

    @Test("a writer's commit is found after its snapshot was expired, and is not appended again")
    func foundAfterExpiry() async throws {
        try await prepare()
        let appender = appender(sqlCatalog)
        let first = try await appender.append(to: table, files: files("w1"), commitId: "w1", writerId: "writer-a")
        _ = try await appender.append(to: table, files: files("o1"), commitId: "o1", writerId: "writer-b")
        _ = try await appender.append(to: table, files: files("o2"), commitId: "o2")
        let maintenance = TableMaintenance(catalog: sqlCatalog, fileIO: fileIO,
                                           logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let expired = try await maintenance.expireSnapshots(table: table, olderThan: Date().addingTimeInterval(60), retainLast: 1)
        #expect(expired.expiredSnapshotIds.contains(first.snapshotId))
        // Without the writer id only history is searched: gone. With it, the property still names it.
        #expect(try await appender.findCommit(in: table, commitId: "w1") == nil)
        #expect(try await appender.findCommit(in: table, commitId: "w1", writerId: "writer-a") == first.snapshotId)
        #expect(try await appender.findCommit(in: table, commitId: "w1", writerId: "writer-b") == nil)
        let again = try await appender.append(to: table, files: files("w1"), commitId: "w1", writerId: "writer-a")
        #expect(again.attempts == 0 && again.snapshotId == first.snapshotId)
        let metadata = try await sqlCatalog.loadTable(table).metadata
        #expect(metadata.currentSnapshot?.summary["total-records"] == "60")
        #expect(metadata.properties["floe.writer.writer-a.last-commit"] == "w1 \(first.snapshotId)")
    }

    @Test("successive appends chain snapshots, sequence numbers, totals and manifests")
    func appendsSeveralTimes() async throws {
        try await prepare()
        let appender = appender(sqlCatalog)
        var results: [AppendResult] = []
        for index in 0..<3 {
            results.append(try await appender.append(to: table, files: files("c\(index)"), commitId: "c\(index)"))
        }
        let metadata = try await sqlCatalog.loadTable(table).metadata
        #expect(results.map(\.sequenceNumber) == [1, 2, 3])
        #expect(results.map(\.attempts) == [1, 1, 1])
        #expect(metadata.mainAncestry().map(\.snapshotId) == results.reversed().map(\.snapshotId))
        let head = try #require(metadata.currentSnapshot)
        #expect(head.summary["total-records"] == "60")
        #expect(head.summary["total-data-files"] == "6")
        #expect(head.summary["added-records"] == "20")
        #expect(head.summary["changed-partition-count"] == "2")
        #expect(head.summary["floe.commit-id"] == "c2")
        #expect(head.manifestList.hasPrefix("file:///w/analytics/events/metadata/snap-\(head.snapshotId)-0-c2"))
        let manifests = try await manifestList(head)
        #expect(manifests.map(\.sequenceNumber) == [3, 2, 1])
        #expect(manifests.map(\.addedSnapshotId) == results.reversed().map(\.snapshotId))
        #expect(manifests.first?.manifestPath == "file:///w/analytics/events/metadata/c2-m0.avro")
        let summary = try #require(manifests.first?.partitions)
        #expect(summary[0].lowerBound == Array("page".utf8) && summary[0].upperBound == Array("track".utf8))
        #expect(summary[1].lowerBound == SingleValueEncoding.int(473352) && summary[1].upperBound == SingleValueEncoding.int(473353))
        #expect(try await appender.findCommit(in: table, commitId: "c1") == results[1].snapshotId)
        #expect(try await appender.findCommit(in: table, commitId: "absent") == nil)
    }

    @Test("appending a commit id that is already in main adds nothing")
    func idempotent() async throws {
        try await prepare()
        let appender = appender(sqlCatalog)
        let first = try await appender.append(to: table, files: files("a"), commitId: "a")
        let again = try await appender.append(to: table, files: files("a"), commitId: "a")
        #expect(again.snapshotId == first.snapshotId && again.attempts == 0)
        #expect(try await sqlCatalog.loadTable(table).metadata.snapshots.count == 1)
    }

    @Test("a concurrent writer makes the append rebase onto its snapshot")
    func rebaseAfterConflict() async throws {
        try await prepare()
        let other = appender(sqlCatalog)
        let faulty = FaultInjectingCatalog(base: sqlCatalog, faults: [.concurrentWriter({ _ in
            _ = try await other.append(to: EventsTable.identifier, files: files("other", rows: 5), commitId: "other")
        })])
        let result = try await appender(faulty).append(to: table, files: files("mine"), commitId: "mine")
        #expect(result.attempts == 2)
        #expect(result.sequenceNumber == 2)
        let metadata = try await sqlCatalog.loadTable(table).metadata
        let head = try #require(metadata.currentSnapshot)
        #expect(head.snapshotId == result.snapshotId)
        #expect(head.parentSnapshotId == TableAppender.find("other", in: metadata)?.snapshotId)
        #expect(head.summary["total-records"] == "30")
        let manifests = try await manifestList(head)
        #expect(manifests.map(\.sequenceNumber) == [2, 1])
        #expect(head.manifestList.contains("-1-mine.avro"))
        // The first attempt's manifest list was never committed and is cleaned up.
        #expect(try await fileIO.list(prefix: "file:///w/analytics/events/metadata/snap-\(result.snapshotId)-0-").isEmpty)
    }

    @Test("an unknown commit state is settled by looking for the commit id", arguments: [
        (FaultInjectingCatalog.Fault.unknownAfterApply, 1), (.unknownBeforeApply, 2),
    ])
    func unknownState(fault: FaultInjectingCatalog.Fault, commits: Int) async throws {
        try await prepare()
        let faulty = FaultInjectingCatalog(base: sqlCatalog, faults: [fault])
        let result = try await appender(faulty).append(to: table, files: files("x"), commitId: "x")
        let metadata = try await sqlCatalog.loadTable(table).metadata
        #expect(metadata.snapshots.count == 1)
        #expect(metadata.currentSnapshotId == result.snapshotId)
        #expect(faulty.commits == commits)
    }

    @Test("a conflict answering a retry of an applied commit keeps the snapshot's manifest list, and the commit counts once")
    func conflictAfterApply() async throws {
        try await prepare()
        let faulty = FaultInjectingCatalog(base: sqlCatalog, faults: [.conflictAfterApply])
        let result = try await appender(faulty).append(to: table, files: files("z"), commitId: "z")
        let metadata = try await sqlCatalog.loadTable(table).metadata
        #expect(metadata.snapshots.count == 1)
        let head = try #require(metadata.currentSnapshot)
        #expect(head.snapshotId == result.snapshotId && faulty.commits == 1)
        #expect(try await fileIO.exists(head.manifestList), "the committed snapshot's manifest list was deleted")
        #expect(try await manifestList(head).count == 1)
    }

    @Test("conflicts past the retry budget surface as conflicts")
    func exhausted() async throws {
        try await prepare()
        let faulty = FaultInjectingCatalog(base: sqlCatalog, faults: Array(repeating: .conflict, count: 10))
        await #expect {
            try await appender(faulty).append(to: table, files: files("y"), commitId: "y")
        } throws: { ($0 as? CatalogError)?.code == .conflict }
        #expect(faulty.commits == 5)
        #expect(try await sqlCatalog.loadTable(table).metadata.snapshots.isEmpty)
    }

    @Test("manifests are merged past commit.manifest.min-count-to-merge without losing files")
    func mergesManifests() async throws {
        _ = try await sqlCatalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec,
                                                   properties: ["commit.manifest.min-count-to-merge": "3"])
        let appender = appender(sqlCatalog)
        var results: [AppendResult] = []
        for index in 0..<6 {
            results.append(try await appender.append(to: table, files: files("m\(index)"), commitId: "m\(index)"))
        }
        let head = try #require(try await sqlCatalog.loadTable(table).metadata.currentSnapshot)
        let manifests = try await manifestList(head)
        // The fourth commit merged the first three; m3–m5 are under the threshold again.
        #expect(manifests.count == 4)
        #expect(head.summary["total-data-files"] == "12")
        let target = try ManifestWriter(schema: EventsTable.schema, spec: EventsTable.spec).entrySchema()
        var paths: [String: Int64] = [:]
        for manifest in manifests {
            let bytes = try await fileIO.read(manifest.manifestPath)
            try ManifestReader.forEachLiveEntry(bytes, manifest: manifest, target: target) { entry in
                paths[entry.dataFile.recordValue?[1].stringValue ?? ""] = entry.sequenceNumber
            }
        }
        #expect(paths.count == 12)
        // Files keep the data sequence number of the snapshot that added them.
        #expect(paths["file:///w/analytics/events/data/m0-0.parquet"] == 1)
        #expect(paths["file:///w/analytics/events/data/m5-1.parquet"] == 6)
        let merged = try #require(manifests.first { $0.existingFilesCount > 0 })
        #expect(merged.addedSnapshotId != 0 && merged.minSequenceNumber < merged.sequenceNumber)
        #expect(manifests.reduce(0) { $0 + $1.addedRowsCount + $1.existingRowsCount } == 120)
    }

    /// Every live data file of the current snapshot with its data sequence number, and the snapshot's manifests.
    func liveFiles() async throws -> (files: [String: Int64], manifests: [ManifestFile]) {
        let head = try #require(try await sqlCatalog.loadTable(table).metadata.currentSnapshot)
        let manifests = try await manifestList(head)
        let target = try ManifestWriter(schema: EventsTable.schema, spec: EventsTable.spec).entrySchema()
        var files: [String: Int64] = [:]
        for manifest in manifests {
            try ManifestReader.forEachLiveEntry(try await fileIO.read(manifest.manifestPath), manifest: manifest,
                                                target: target) { entry in
                let path = entry.dataFile.recordValue?[1].stringValue ?? ""
                #expect(files[path] == nil, "\(path) is listed twice")
                files[path] = entry.sequenceNumber
            }
        }
        return (files, manifests)
    }

    /// An appender that writes merges ahead (lead 2) on a table merging past `minCount` manifests.
    func mergingAhead(minCount: Int, maxAge: Duration = .seconds(3600)) async throws -> (TableAppender, ManifestMergeAhead) {
        _ = try await sqlCatalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec,
                                                   properties: ["commit.manifest.min-count-to-merge": String(minCount)])
        var appender = appender(sqlCatalog)
        let ahead = ManifestMergeAhead(lead: 2, maxAge: maxAge)
        appender.mergeAhead = ahead
        return (appender, ahead)
    }

    @Test("merges written ahead are swapped in by the next append, every file kept once with its sequence number")
    func mergesWrittenAhead() async throws {
        let (appender, ahead) = try await mergingAhead(minCount: 5)
        var prepared = 0
        for index in 0..<12 {
            _ = try await appender.append(to: table, files: files("a\(index)"), commitId: "a\(index)")
            if ahead.startPreparing(table) {
                try await appender.prepareMerge(in: table)
                prepared += 1
            }
        }
        #expect(prepared >= 2)
        let (live, manifests) = try await liveFiles()
        #expect(live.count == 24)
        #expect(live["file:///w/analytics/events/data/a0-0.parquet"] == 1)
        #expect(live["file:///w/analytics/events/data/a11-1.parquet"] == 12)
        // Every merge was written ahead: no append merged inline (its merged manifests would be named after its commit).
        let merged = manifests.filter { $0.existingFilesCount > 0 }
        #expect(!merged.isEmpty)
        #expect(merged.allSatisfy { $0.manifestPath.contains("/merge-") })
        let metadata = try await sqlCatalog.loadTable(table).metadata
        for manifest in merged {
            // Recorded as added by the snapshot that swapped it in, with that snapshot's sequence number.
            let adding = try #require(metadata.snapshot(id: manifest.addedSnapshotId))
            #expect(manifest.sequenceNumber == adding.sequenceNumber && manifest.minSequenceNumber < manifest.sequenceNumber)
        }
        #expect(manifests.reduce(0) { $0 + $1.addedRowsCount + $1.existingRowsCount } == 240)
        // Nothing written ahead is left unused, but the merge that is ready for the next append.
        let written = Set(fileIO.contents.keys.filter { $0.contains("/merge-") })
        #expect(written.subtracting(merged.map(\.manifestPath)).count <= 1)
    }

    @Test("a merge written ahead whose inputs are gone is deleted unused, and the append merges what is due")
    func staleMergeAhead() async throws {
        let (appender, ahead) = try await mergingAhead(minCount: 4)
        for index in 0..<4 { _ = try await appender.append(to: table, files: files("s\(index)"), commitId: "s\(index)") }
        #expect(ahead.startPreparing(table))
        try await appender.prepareMerge(in: table)
        let written = try #require(fileIO.contents.keys.first { $0.contains("/merge-") })
        // A compaction rewrites the manifest listing s0's files: the merge's inputs are gone.
        let base = try #require(try await sqlCatalog.loadTable(table).metadata.currentSnapshot).snapshotId
        _ = try await appender.replace(in: table, removing: ["file:///w/analytics/events/data/s0-0.parquet"],
                                       adding: [], commitId: "compact", decidedFrom: base)
        for index in 4..<7 { _ = try await appender.append(to: table, files: files("s\(index)"), commitId: "s\(index)") }
        #expect(try await !fileIO.exists(written))
        let (live, manifests) = try await liveFiles()
        #expect(live.count == 13)
        #expect(live["file:///w/analytics/events/data/s0-0.parquet"] == nil)
        #expect(!manifests.contains { $0.manifestPath == written })
    }

    @Test("a merge written ahead that orphan removal deleted, or that is too old, is not swapped in",
          arguments: [(deleted: true, maxAge: Duration.seconds(3600)), (deleted: false, maxAge: Duration.zero)])
    func goneOrOldMergeAhead(deleted: Bool, maxAge: Duration) async throws {
        let (appender, ahead) = try await mergingAhead(minCount: 4, maxAge: maxAge)
        for index in 0..<4 { _ = try await appender.append(to: table, files: files("g\(index)"), commitId: "g\(index)") }
        #expect(ahead.startPreparing(table))
        try await appender.prepareMerge(in: table)
        let written = try #require(fileIO.contents.keys.first { $0.contains("/merge-") })
        // No snapshot lists it yet: orphan removal on a table without appends for a day deletes it.
        if deleted { try await fileIO.delete(written) }
        for index in 4..<7 { _ = try await appender.append(to: table, files: files("g\(index)"), commitId: "g\(index)") }
        let (live, manifests) = try await liveFiles()
        #expect(live.count == 14)
        #expect(!manifests.contains { $0.manifestPath == written })
        for manifest in manifests { #expect(try await fileIO.exists(manifest.manifestPath), "\(manifest.manifestPath)") }
        // The append merged inline instead (one too old is deleted unused).
        #expect(manifests.contains { $0.existingFilesCount > 0 })
        #expect(try await !fileIO.exists(written))
    }

    @Test("partition tuples that do not fit the spec are rejected before anything is written")
    func invalidPartition() async throws {
        try await prepare()
        let bad = DataFile(filePath: "file:///w/x.parquet", partition: [.string("track")], recordCount: 1, fileSizeInBytes: 1)
        await #expect {
            try await appender(sqlCatalog).append(to: table, files: [bad], commitId: "z")
        } throws: { ($0 as? CatalogError)?.code == .invalidArgument }
        let wrongType = DataFile(filePath: "file:///w/x.parquet", partition: [.int(1), .int(1)], recordCount: 1, fileSizeInBytes: 1)
        await #expect {
            try await appender(sqlCatalog).append(to: table, files: [wrongType], commitId: "z")
        } throws: { ($0 as? CatalogError)?.code == .invalidArgument }
    }
}

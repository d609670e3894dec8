@testable import Buffer
import SQLite
import Foundation
import Logging
import Testing

@Suite("EventBuffer")
struct EventBufferTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-buffer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func open(maxPartitionEvents: Int = 10_000, maxBytes: Int = 1 << 30) throws -> EventBuffer {
        var configuration = BufferConfiguration(path: directory.appendingPathComponent("buffer.db").path)
        configuration.maxPartitionEvents = maxPartitionEvents
        configuration.maxBufferedBytes = maxBytes
        return try EventBuffer(configuration: configuration, logger: Logger(label: "test"))
    }

    func event(_ key: String, _ payload: String, table: String = "events", at time: Int64 = 1_000) -> BufferedEvent {
        BufferedEvent(partition: PartitionID(table: table, key: key), receivedAt: time, payload: Array(payload.utf8))
    }

    @Test("concurrent appends are all answered and all stored")
    func groupCommitAnswersEveryWaiter() async throws {
        let buffer = try open()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for request in 0..<200 {
                group.addTask {
                    try await buffer.append([event("track/2026-11-01-00", "r\(request)-a"),
                                             event("track/2026-11-01-00", "r\(request)-b")])
                }
            }
            try await group.waitForAll()
        }
        let partition = PartitionID(table: "events", key: "track/2026-11-01-00")
        #expect(buffer.stats()[partition]?.count == 400)
        let rows = try await buffer.rows(in: partition, limit: 1_000)
        #expect(rows.count == 400)
        #expect(Set(rows.map { String(decoding: $0.payload, as: UTF8.self) }).count == 400)
        #expect(rows.map(\.sequence) == rows.map(\.sequence).sorted())
    }

    /// What one run of the group commit interval scenario saw.
    struct IntervalRun: CustomStringConvertible {
        var heldBack: Duration
        var sequential: Duration
        var stored: Int?
        var description: String {
            "the append after a shared transaction answered after \(heldBack); 3 appends one after another took \(sequential), \(stored ?? -1) stored"
        }
    }

    /// 10 appends at once, then one more, then after a quiet spell 3 one after another, on a fresh buffer.
    func runIntervalScenario(_ interval: Duration, attempt: Int) async throws -> IntervalRun {
        var configuration = BufferConfiguration(path: directory.appendingPathComponent("interval-\(attempt).db").path)
        configuration.groupCommitInterval = .milliseconds(Int(interval.inMilliseconds))
        let buffer = try EventBuffer(configuration: configuration, logger: Logger(label: "test"))
        let clock = ContinuousClock()
        let first = clock.now
        // The first append is written at once, alone; the other 9 share the next transaction.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for request in 0..<10 {
                group.addTask { try await buffer.append([event("track/h", "a\(request)")]) }
            }
            try await group.waitForAll()
        }
        // Fewer appends than that transaction answered: held back until the interval has passed.
        try await buffer.append([event("track/h", "b")])
        let heldBack = clock.now - first
        try await Task.sleep(for: interval + .milliseconds(200))
        let quiet = clock.now
        for request in 0..<3 { try await buffer.append([event("track/h", "c\(request)")]) }
        return IntervalRun(heldBack: heldBack, sequential: clock.now - quiet,
                           stored: buffer.stats()[PartitionID(table: "events", key: "track/h")]?.count)
    }

    @Test("with a group commit interval, an append soon after a shared transaction waits for the interval; appends one after another are never held back")
    func groupCommitInterval() async throws {
        // The other suites run beside this one on two cores and can stall it for seconds (then the
        // append arrives after the interval has passed): a run counts when every condition holds,
        // and a buffer that does not keep the interval fails all three. GroupCommitScheduleTests
        // check the rules themselves with a given clock.
        let interval = Duration.seconds(2)
        var runs: [IntervalRun] = []
        for attempt in 0..<3 {
            let run = try await runIntervalScenario(interval, attempt: attempt)
            runs.append(run)
            if run.heldBack >= interval - .milliseconds(50) && run.sequential < interval && run.stored == 14 {
                return
            }
        }
        Issue.record("no run kept the interval: \(runs)")
    }

    @Test("stats are rebuilt from the database when it is reopened")
    func recoveryRebuildsCounts() async throws {
        do {
            let buffer = try open()
            try await buffer.append([event("track/2026-11-01-00", "abc", at: 500), event("track/2026-11-01-00", "de", at: 300),
                                     event("page/2026-11-01-01", "x", at: 900)])
        }
        let reopened = try open()
        let stats = reopened.stats()
        #expect(stats[PartitionID(table: "events", key: "track/2026-11-01-00")] == PartitionStats(count: 2, bytes: 5, oldestReceivedAt: 300))
        #expect(stats[PartitionID(table: "events", key: "page/2026-11-01-01")] == PartitionStats(count: 1, bytes: 1, oldestReceivedAt: 900))
    }

    @Test("a full partition rejects the whole append with partitionFull and stores nothing")
    func partitionLimit() async throws {
        let buffer = try open(maxPartitionEvents: 3)
        try await buffer.append([event("track/h", "1"), event("track/h", "2")])
        await #expect {
            try await buffer.append([event("page/h", "ok"), event("track/h", "3"), event("track/h", "4")])
        } throws: { error in
            (error as? BufferError)?.code == .partitionFull
        }
        #expect(buffer.stats()[PartitionID(table: "events", key: "track/h")]?.count == 2)
        #expect(buffer.stats()[PartitionID(table: "events", key: "page/h")] == nil)
    }

    @Test("the byte budget rejects appends with budgetExceeded")
    func byteBudget() async throws {
        let buffer = try open(maxBytes: 10)
        try await buffer.append([event("track/h", "12345")])
        await #expect {
            try await buffer.append([event("track/h", "123456")])
        } throws: { error in
            (error as? BufferError)?.code == .budgetExceeded
        }
    }

    @Test("completing an intent deletes exactly its rows and the intent")
    func intentLifecycle() async throws {
        let buffer = try open()
        try await buffer.append((0..<5).map { event("track/h", "row\($0)", at: Int64(100 + $0)) })
        let partition = PartitionID(table: "events", key: "track/h")
        let rows = try await buffer.rows(in: partition, limit: 3)
        let intent = FlushIntent(commitId: "c1", table: "events", createdAt: 1, files: [
            .init(partitionKey: "track/h", firstSequence: rows[0].sequence, lastSequence: rows[2].sequence,
                  rowCount: 3, payloadBytes: 12, path: "/tmp/x.parquet"),
        ])
        try await buffer.recordIntent(intent)
        // New rows arriving after the intent are not part of it.
        try await buffer.append([event("track/h", "late", at: 50)])
        #expect(try await buffer.pendingIntents() == [intent])
        let again = try await buffer.rows(in: partition, sequences: rows[0].sequence...rows[2].sequence)
        #expect(again.map { Array($0.payload) } == rows.map { Array($0.payload) })

        try await buffer.completeIntent(intent)
        #expect(try await buffer.pendingIntents().isEmpty)
        let left = try await buffer.rows(in: partition, limit: 10).map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(left == ["row3", "row4", "late"])
        // The oldest is that of the first chunk still (partly) buffered: the first append's.
        #expect(buffer.stats()[partition] == PartitionStats(count: 3, bytes: 12, oldestReceivedAt: 100))
    }

    @Test("a flush that ends inside a chunk is remembered across a restart")
    func partialChunkSurvivesRestart() async throws {
        let partition = PartitionID(table: "events", key: "track/h")
        do {
            let buffer = try open()
            try await buffer.append((0..<5).map { event("track/h", "e\($0)", at: 10) })
            let rows = try await buffer.rows(in: partition, limit: 3)
            try await buffer.recordIntent(FlushIntent(commitId: "c", table: "events", createdAt: 1, files: [
                .init(partitionKey: "track/h", firstSequence: rows[0].sequence, lastSequence: rows[2].sequence,
                      rowCount: 3, payloadBytes: 6, path: "/tmp/y.parquet"),
            ]))
            try await buffer.completeIntent(try #require(try await buffer.pendingIntents().first))
        }
        let reopened = try open()
        #expect(reopened.stats()[partition]?.count == 2)
        let left = try await reopened.rows(in: partition, limit: 10).map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(left == ["e3", "e4"])
    }

    @Test("a failed transaction fails every request in it")
    func failedTransactionFailsAll() async throws {
        let path = directory.appendingPathComponent("buffer.db").path
        let buffer = try open()
        try await buffer.append([event("track/h", "first")])
        // Make the database read-only underneath the writer: the next transaction must fail.
        let other = try EventBufferTests.lockExclusively(path)
        defer { other.unlock() }
        var failures = 0
        await withTaskGroup(of: Bool.self) { group in
            for index in 0..<5 {
                group.addTask {
                    do {
                        try await buffer.append([event("track/h", "x\(index)")])
                        return true
                    } catch {
                        return false
                    }
                }
            }
            for await ok in group where !ok { failures += 1 }
        }
        #expect(failures == 5)
        #expect(buffer.stats()[PartitionID(table: "events", key: "track/h")]?.count == 1)
    }
}

@Suite("EventBuffer deduplication")
struct EventBufferDedupTests {
    func open(_ path: String) throws -> EventBuffer {
        try EventBuffer(configuration: BufferConfiguration(path: path), logger: Logger(label: "test"))
    }

    func event(_ id: String) -> BufferedEvent {
        BufferedEvent(partition: PartitionID(table: "events", key: "track/h"), receivedAt: 1,
                      payload: Array(id.utf8), dedupKey: Array("s\(id)".utf8))
    }

    @Test("duplicates inside one batch, across batches and after a restart are acknowledged, not stored")
    func dedup() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("floe-dedup-\(UUID().uuidString).db").path
        do {
            let buffer = try open(path)
            #expect(try await buffer.append([event("a"), event("b"), event("a")]) == AppendOutcome(stored: 2, duplicates: 1, duplicatesByTable: ["events": 1]))
            #expect(try await buffer.append([event("b"), event("c")]) == AppendOutcome(stored: 1, duplicates: 1, duplicatesByTable: ["events": 1]))
            let anonymous = BufferedEvent(partition: PartitionID(table: "events", key: "track/h"), receivedAt: 1, payload: [1])
            #expect(try await buffer.append([anonymous, anonymous]) == AppendOutcome(stored: 2, duplicates: 0))
        }
        let reopened = try open(path)
        #expect(try await reopened.append([event("a"), event("d")]) == AppendOutcome(stored: 1, duplicates: 1, duplicatesByTable: ["events": 1]))
        #expect(reopened.stats()[PartitionID(table: "events", key: "track/h")]?.count == 6)
    }

    @Test("concurrent retries of the same batch store it once")
    func concurrentRetries() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("floe-dedup-\(UUID().uuidString).db").path
        let buffer = try open(path)
        let batch = (0..<50).map { event("m\($0)") }
        let outcomes = try await withThrowingTaskGroup(of: AppendOutcome.self) { group in
            for _ in 0..<8 { group.addTask { try await buffer.append(batch) } }
            var all: [AppendOutcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.reduce(0) { $0 + $1.stored } == 50)
        #expect(outcomes.reduce(0) { $0 + $1.duplicates } == 350)
    }

    @Test("a request mixing duplicates and new events stores the new ones in order")
    func mixedRequest() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("floe-dedup-\(UUID().uuidString).db").path
        let buffer = try open(path)
        #expect(try await buffer.append([event("a"), event("b")]) == AppendOutcome(stored: 2, duplicates: 0))
        #expect(try await buffer.append([event("c"), event("a"), event("d"), event("b"), event("e")])
                    == AppendOutcome(stored: 3, duplicates: 2, duplicatesByTable: ["events": 2]))
        let partition = PartitionID(table: "events", key: "track/h")
        let rows = try await buffer.rows(in: partition, limit: 10)
        #expect(rows.map { String(decoding: $0.payload, as: UTF8.self) } == ["a", "b", "c", "d", "e"])
        #expect(rows.map(\.sequence) == rows.map(\.sequence).sorted())
        #expect(buffer.stats()[partition] == PartitionStats(count: 5, bytes: 5, oldestReceivedAt: 1))
    }

    @Test("keys of a transaction that failed are forgotten, so the retry is stored")
    func failedTransactionForgetsKeys() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("floe-dedup-\(UUID().uuidString).db").path
        let buffer = try open(path)
        let lock = try EventBufferTests.lockExclusively(path)
        await #expect(throws: BufferError.self) { try await buffer.append([event("x"), event("y")]) }
        lock.unlock()
        #expect(try await buffer.append([event("x"), event("y")]) == AppendOutcome(stored: 2, duplicates: 0))
        #expect(try await buffer.append([event("y")]) == AppendOutcome(stored: 0, duplicates: 1, duplicatesByTable: ["events": 1]))
    }

    @Test("keys stored one row each by an older buffer move into blocks and still deduplicate")
    func migratesDedupKeys() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("floe-dedup-\(UUID().uuidString).db").path
        do {
            // The layout before dedup_blocks: one (key, expires_at) row per message key.
            let db = try SQLiteDatabase(path: path)
            try db.execute("PRAGMA journal_mode=WAL")
            try db.execute("CREATE TABLE dedup_keys(key BLOB NOT NULL, expires_at INTEGER NOT NULL)")
            let insert = try db.statement("INSERT INTO dedup_keys(key, expires_at) VALUES (?1, ?2)")
            let future = Int64(Date().timeIntervalSince1970 * 1_000_000) + 3_600_000_000
            for (index, id) in (["old-1", "old-2"] + (0..<1500).map { "bulk-\($0)" }).enumerated() {
                try insert.bind(1, blob: Array("s\(id)".utf8))
                try insert.bind(2, index == 1 ? Int64(5) : future)  // old-2 expired long ago
                try insert.run()
                insert.reset()
            }
        }
        let buffer = try open(path)
        #expect(try await buffer.append([event("old-1"), event("bulk-1499"), event("new")])
                    == AppendOutcome(stored: 1, duplicates: 2, duplicatesByTable: ["events": 2]))
        // Expiry is per block of keys (never earlier than a key's own): old-2 shares its block with
        // keys still in their window, so it is still remembered.
        #expect(try await buffer.append([event("old-2")]) == AppendOutcome(stored: 0, duplicates: 1, duplicatesByTable: ["events": 1]))
        let db = try SQLiteDatabase(path: path)
        #expect(try db.statement("SELECT COUNT(*) FROM sqlite_master WHERE name = 'dedup_keys'").firstRow { $0.int64(0) } == 0)
        #expect(try db.statement("SELECT COUNT(*) FROM dedup_blocks").firstRow { $0.int64(0) } == 3)
    }
}

@testable import Buffer
import SQLite
import Foundation
import Logging
import Testing

@Suite("EventBuffer purge")
struct PurgeTests {
    /// Chunk rows per partition id, read from the database file on a connection of its own.
    private func chunkCounts(_ path: String) throws -> [Int64: Int] {
        let db = try SQLiteDatabase(path: path)
        let statement = try db.statement("SELECT pid, COUNT(*) FROM chunks GROUP BY pid")
        var counts: [Int64: Int] = [:]
        while try statement.step() { counts[statement.int64(0)] = Int(statement.int64(1)) }
        statement.reset()
        return counts
    }

    /// A buffer configuration in a new temporary directory, purging `purgeDelayMilliseconds` after a flush.
    private func freshConfiguration(purgeDelayMilliseconds: Int) throws -> BufferConfiguration {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-purge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = BufferConfiguration(path: directory.appendingPathComponent("buffer.db").path)
        configuration.purgeDelay = .milliseconds(purgeDelayMilliseconds)
        return configuration
    }

    @Test("flushed chunks of several interleaved partitions are deleted in steps; unflushed ones stay")
    func purgeDeletesFlushedChunksOnly() async throws {
        let configuration = try freshConfiguration(purgeDelayMilliseconds: 10)
        let path = configuration.path
        let buffer = try EventBuffer(configuration: configuration, logger: Logger(label: "test"))
        let keys = ["a/h", "b/h", "c/h"]
        // 3,000 transactions, each one chunk per partition: the partitions' chunks interleave.
        for round in 0..<3_000 {
            try await buffer.append(keys.map { BufferedEvent(partition: PartitionID(table: "events", key: $0), receivedAt: 1,
                                                              payload: Array(String(repeating: "x", count: 300 + round % 7).utf8)) })
        }
        for key in keys.prefix(2) {
            let partition = PartitionID(table: "events", key: key)
            let rows = try await buffer.rows(in: partition, limit: 10_000)
            let intent = FlushIntent(commitId: key, table: "events", createdAt: 1, files: [
                .init(partitionKey: key, firstSequence: rows[0].sequence, lastSequence: rows[rows.count - 1].sequence,
                      rowCount: rows.count, payloadBytes: 0, path: "/tmp/\(key).parquet"),
            ])
            try await buffer.recordIntent(intent)
            try await buffer.completeIntent(intent)
        }
        var counts: [Int64: Int] = [:]
        for _ in 0..<200 {
            counts = try chunkCounts(path)
            if counts.count == 1 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(counts.count == 1, "chunks left per partition: \(counts)")
        #expect(counts.values.first == 3_000)
        let left = try await buffer.rows(in: PartitionID(table: "events", key: "c/h"), limit: 10_000)
        #expect(left.count == 3_000)
        #expect(buffer.stats()[PartitionID(table: "events", key: "a/h")]?.count ?? 0 == 0)
    }

    @Test("sequence numbers keep rising across a restart after every chunk was flushed and purged")
    func sequencesSurvivePurge() async throws {
        let configuration = try freshConfiguration(purgeDelayMilliseconds: 1)
        let path = configuration.path
        let partition = PartitionID(table: "events", key: "a/h")
        var highest: Int64 = 0
        do {
            let buffer = try EventBuffer(configuration: configuration, logger: Logger(label: "test"))
            try await buffer.append((0..<10).map { BufferedEvent(partition: partition, receivedAt: 1, payload: Array("e\($0)".utf8)) })
            let rows = try await buffer.rows(in: partition, limit: 100)
            highest = rows[rows.count - 1].sequence
            let intent = FlushIntent(commitId: "c", table: "events", createdAt: 1, files: [
                .init(partitionKey: "a/h", firstSequence: rows[0].sequence, lastSequence: highest,
                      rowCount: rows.count, payloadBytes: 0, path: "/tmp/a.parquet"),
            ])
            try await buffer.recordIntent(intent)
            try await buffer.completeIntent(intent)
            for _ in 0..<200 where try chunkCounts(path).isEmpty == false { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try chunkCounts(path).isEmpty)
        }
        let reopened = try EventBuffer(configuration: configuration, logger: Logger(label: "test"))
        try await reopened.append([BufferedEvent(partition: partition, receivedAt: 2, payload: Array("new".utf8))])
        let rows = try await reopened.rows(in: partition, limit: 100)
        #expect(rows.count == 1)
        #expect((rows.first?.sequence ?? 0) > highest)
    }
}

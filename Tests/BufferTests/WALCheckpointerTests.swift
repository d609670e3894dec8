@testable import Buffer
import Foundation
import Logging
import Testing

@Suite("WALCheckpointer")
struct WALCheckpointerTests {
    @Test("under a steady stream of commits the write-ahead log starts over instead of growing")
    func logStartsOver() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("buffer.db").path
        let buffer = try EventBuffer(configuration: BufferConfiguration(path: path), logger: Logger(label: "test"))
        // 48 MiB in 384 commits: twelve times the log growth that asks for a checkpoint (256 frames of 16 KiB).
        var generator = SystemRandomNumberGenerator()
        for batch in 0..<384 {
            let bytes = (0..<(128 << 10) / 8).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
            try await buffer.append([BufferedEvent(partition: PartitionID(table: "events", key: "track/\(batch % 3)"),
                                                   receivedAt: 1, payload: bytes)])
        }
        // The file keeps the largest size the log reached before it last started over.
        let log = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? .max
        let checkpointBytes = Int(WALCheckpointer.checkpointFrames) * 16_384
        #expect(log < checkpointBytes * 8, "the log is \(log) bytes after 48 MiB of appends")
        #expect(buffer.stats().values.reduce(0) { $0 + $1.count } == 384)
    }
}

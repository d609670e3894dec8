@testable import Collector
import Foundation
import Iceberg
import Synchronization
import Testing

/// ``RemoteInputs/download(_:size:to:chunkBytes:read:)``: an S3 input reaches the disk a ranged read at a time.
@Suite("Backfill input downloads")
struct RemoteInputsDownloadTests {
    /// An object served by ranges, recording the ranges asked for.
    final class Object: Sendable {
        let bytes: [UInt8]
        private let asked = Mutex<[Range<Int>]>([])
        init(count: Int) { bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }
        var ranges: [Range<Int>] { asked.withLock { $0 } }
        func read(_ range: Range<Int>) -> [UInt8] {
            asked.withLock { $0.append(range) }
            return Array(bytes[min(range.lowerBound, bytes.count)..<min(range.upperBound, bytes.count)])
        }
    }

    func target() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("download-\(UUID().uuidString)")
    }

    @Test("chunk by chunk into the file, the last one shorter; an exact multiple asks for nothing past the end",
          arguments: [(1_000, 300), (900, 300), (5, 300), (0, 300)])
    func chunks(count: Int, chunk: Int) async throws {
        let object = Object(count: count)
        let file = target()
        defer { try? FileManager.default.removeItem(at: file) }
        try await RemoteInputs.download("s3://b/k", size: Int64(count), to: file, chunkBytes: chunk) { object.read($0) }
        #expect(try Array(Data(contentsOf: file)) == object.bytes)
        #expect(object.ranges == stride(from: 0, to: count, by: chunk).map { $0..<$0 + chunk })
    }

    @Test("an object longer or shorter than listed is an error, not a truncated or overlong input")
    func changed() async throws {
        for (listed, actual) in [(1_000, 700), (1_000, 1_200)] {
            let object = Object(count: actual)
            let file = target()
            defer { try? FileManager.default.removeItem(at: file) }
            await #expect(throws: FileIOError.self) {
                try await RemoteInputs.download("s3://b/k", size: Int64(listed), to: file, chunkBytes: 300) { object.read($0) }
            }
        }
    }
}

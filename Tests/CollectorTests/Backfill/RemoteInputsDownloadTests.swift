@testable import Collector
import Foundation
import Iceberg
import Synchronization
import Testing

/// ``RemoteInputs/download(_:size:to:chunkBytes:read:)``: an S3 input reaches the disk a ranged read at a time,
/// and an object that changes meanwhile is an error, never a cut or spliced input.
@Suite("Backfill input downloads")
struct RemoteInputsDownloadTests {
    /// An object served by ranges as S3 does (size from Content-Range, ETag, If-Match), recording the ranges
    /// asked for; `replace` swaps its content after the given number of reads.
    final class Object: Sendable {
        private struct State {
            var bytes: [UInt8]
            var eTag = "\"v1\""
            var asked: [Range<Int>] = []
            var replacement: (afterReads: Int, bytes: [UInt8])?
        }
        private let state: Mutex<State>
        let ignoresRanges: Bool

        init(count: Int, ignoresRanges: Bool = false) {
            state = Mutex(State(bytes: Self.content(count)))
            self.ignoresRanges = ignoresRanges
        }

        static func content(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
            (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
        }

        var bytes: [UInt8] { state.withLock { $0.bytes } }
        var ranges: [Range<Int>] { state.withLock { $0.asked } }
        func replace(afterReads reads: Int, with bytes: [UInt8]) { state.withLock { $0.replacement = (reads, bytes) } }

        func read(_ range: Range<Int>, ifMatch: String?) throws -> ObjectChunk {
            try state.withLock { state in
                if let replacement = state.replacement, state.asked.count == replacement.afterReads {
                    state.bytes = replacement.bytes
                    state.eTag = "\"v2\""
                    state.replacement = nil
                }
                state.asked.append(range)
                if let ifMatch, ifMatch != state.eTag { throw FileIOError(.io, "412 Precondition Failed") }
                if ignoresRanges { return ObjectChunk(bytes: state.bytes, objectSize: nil, eTag: state.eTag, isWhole: true) }
                let count = state.bytes.count
                return ObjectChunk(bytes: Array(state.bytes[min(range.lowerBound, count)..<min(range.upperBound, count)]),
                                   objectSize: Int64(count), eTag: state.eTag, isWhole: false)
            }
        }
    }

    func target() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("download-\(UUID().uuidString)")
    }

    func download(_ object: Object, listed: Int, chunk: Int = 300) async throws -> [UInt8] {
        let file = target()
        defer { try? FileManager.default.removeItem(at: file) }
        try await RemoteInputs.download("s3://b/k", size: Int64(listed), to: file, chunkBytes: chunk) {
            try object.read($0, ifMatch: $1)
        }
        return try Array(Data(contentsOf: file))
    }

    @Test("chunk by chunk into the file, the last one shorter; an exact multiple asks for nothing past the end",
          arguments: [1_000, 900, 5, 0])
    func chunks(count: Int) async throws {
        let object = Object(count: count)
        #expect(try await download(object, listed: count) == object.bytes)
        #expect(object.ranges == stride(from: 0, to: count, by: 300).map { $0..<$0 + 300 })
    }

    @Test("a store that ignores ranges sends the object once")
    func wholeObject() async throws {
        let object = Object(count: 1_000, ignoresRanges: true)
        #expect(try await download(object, listed: 1_000) == object.bytes)
        #expect(object.ranges.count == 1)
    }

    @Test("an object longer or shorter than listed is an error, also when the listed size is a whole number of chunks",
          arguments: [(1_000, 700), (1_000, 1_200), (900, 1_200), (900, 600)])
    func sizeChanged(listed: Int, actual: Int) async throws {
        await #expect(throws: FileIOError.self) { _ = try await download(Object(count: actual), listed: listed) }
    }

    @Test("an object rewritten with the same size between two chunks is an error, not a splice")
    func rewritten() async throws {
        let object = Object(count: 1_000)
        object.replace(afterReads: 2, with: Object.content(1_000, seed: 99))
        await #expect(throws: FileIOError.self) { _ = try await download(object, listed: 1_000) }
    }
}

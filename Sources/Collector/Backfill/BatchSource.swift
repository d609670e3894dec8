import Dispatch

/// The batches of lines of one input file, read on a thread of their own so that reading and
/// decompressing overlap the normalizing that keeps every core of the cooperative pool busy.
///
/// Lines before `skipping` (those an earlier run committed) are read but not returned. One
/// call at a time: the runner awaits each ``next(maxLines:)`` before the next one or a ``recycle(_:)``.
final class BatchSource: @unchecked Sendable {
    private let reader: InputLineReader
    private let skipping: Int64
    private let queue = DispatchQueue(label: "floe.backfill.read")
    /// Lines read so far, returned or skipped.
    private(set) var linesRead: Int64 = 0
    /// Whether the end of the file was reached.
    private var exhausted = false

    init(path: String, name: String? = nil, skipping: Int64) throws {
        reader = try InputLineReader(path: path, name: name)
        self.skipping = skipping
    }

    /// The next lines after the skipped ones, at most `maxLines`, and the line number of the first;
    /// none at the end of the file.
    func next(maxLines: Int) async throws -> (lines: LineBatch, first: Int64) {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.read(maxLines: maxLines) })
            }
        }
    }

    private func read(maxLines: Int) throws -> (lines: LineBatch, first: Int64) {
        while !exhausted {
            let batch = try reader.nextBatch(maxLines: maxLines)
            let first = linesRead
            linesRead += Int64(batch.count)
            if batch.isEmpty { exhausted = true }
            if linesRead <= skipping && !batch.isEmpty { continue }
            let skip = min(batch.count, Int(max(0, skipping - first)))
            return (batch.slice(skip..<batch.count), first + Int64(skip))
        }
        return (LineBatch(), linesRead)
    }

    /// The file's bytes read so far (read ahead of the batches returned by at most a step of the reader).
    var bytesRead: Int64 { reader.filePosition }

    /// Takes back a batch that is done with, to read a later one into its buffer.
    func recycle(_ batch: consuming LineBatch) {
        reader.recycle(batch)
    }
}

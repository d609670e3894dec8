import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes and compresses the column chunks of a file on a few threads.
///
/// Work items are "encode a leaf column" (largest first) and "compress a page". A thread that
/// encodes a column queues its pages; every thread takes a queued page before a new column, so
/// compression starts early and the pages of one big column (a JSON payload) are spread over
/// all threads. A thread leaves when nothing is queued and no column is left; the thread still
/// encoding then compresses what it queues itself, so no one ever waits. The file writer appends
/// the pages in schema order, so the bytes never depend on scheduling.
enum ColumnChunkPool {
    /// One column chunk: its pending pages and the same pages compressed, in order.
    struct Piece: Sendable {
        var chunk: PendingChunk
        var pages: [CompressedPage]
    }

    private struct PageTask: Sendable {
        var column: Int
        var group: Int
        var page: Int
    }

    private enum Job {
        case encode(Int)
        case compress(PageTask, PendingPage, [String])
    }

    private struct State: Sendable {
        var nextColumn = 0
        var queue: [PageTask] = []
        var queueHead = 0
        var chunks: [[PendingChunk]]
        var compressed: [[[CompressedPage?]]]
        var error: ParquetError?
    }

    /// `[leaf][rowGroup]` pieces of every leaf.
    static func encode(leaves: [LeafColumn], groupRows: [Int],
                       options: WriterOptions) throws(ParquetError) -> [[Piece]] {
        let threads = min(max(1, options.maxThreads ?? processorCount), max(1, leaves.count * 4))
        if threads == 1 { return try encodeSerially(leaves: leaves, groupRows: groupRows, options: options) }
        let costs = leaves.map { $0.values.plainSize(0..<$0.values.count) + $0.levelCount / 4 }
        let order = leaves.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
        let checksum = options.writePageChecksums
        let state = Mutex(State(chunks: Array(repeating: [], count: leaves.count),
                                compressed: Array(repeating: [], count: leaves.count)))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var scratch = ColumnChunkWriter.Scratch()
            var compressor: PageCompressor?
            while true {
                let job: Job? = state.withLock { state in
                    guard state.error == nil else { return nil }
                    if state.queueHead < state.queue.count {
                        let task = state.queue[state.queueHead]
                        state.queueHead += 1
                        let chunk = state.chunks[task.column][task.group]
                        return .compress(task, chunk.pages[task.page], chunk.path)
                    }
                    guard state.nextColumn < order.count else { return nil }
                    state.nextColumn += 1
                    return .encode(order[state.nextColumn - 1])
                }
                switch job {
                case nil:
                    return
                case .encode(let column):
                    var writer = ColumnChunkWriter(leaf: leaves[column], options: options)
                    let chunks = groupRows.map { writer.encodeChunk(rows: $0, scratch: &scratch) }
                    state.withLock { state in
                        state.chunks[column] = chunks
                        state.compressed[column] = chunks.map { Array(repeating: nil, count: $0.pages.count) }
                        for (group, chunk) in chunks.enumerated() {
                            for page in chunk.pages.indices {
                                state.queue.append(PageTask(column: column, group: group, page: page))
                            }
                        }
                    }
                case .compress(let task, let page, let path):
                    do throws(ParquetError) {
                        if compressor == nil { compressor = try PageCompressor(codec: options.codec) }
                        guard let compressor else { return }
                        let result = try page.compressed(with: compressor, checksum: checksum, column: path)
                        state.withLock { $0.compressed[task.column][task.group][task.page] = result }
                    } catch {
                        state.withLock { $0.error = $0.error ?? error }
                        return
                    }
                }
            }
        }
        let finished = state.withLock { state in (state.error, state.chunks, state.compressed) }
        if let error = finished.0 { throw error }
        return zip(finished.1, finished.2).map { chunks, pages in
            zip(chunks, pages).map { Piece(chunk: $0, pages: $1.map { $0! }) }
        }
    }

    private static func encodeSerially(leaves: [LeafColumn], groupRows: [Int],
                                       options: WriterOptions) throws(ParquetError) -> [[Piece]] {
        let compressor = try PageCompressor(codec: options.codec)
        var scratch = ColumnChunkWriter.Scratch()
        var pieces: [[Piece]] = []
        pieces.reserveCapacity(leaves.count)
        for leaf in leaves {
            var writer = ColumnChunkWriter(leaf: leaf, options: options)
            var groups: [Piece] = []
            for rows in groupRows {
                let chunk = writer.encodeChunk(rows: rows, scratch: &scratch)
                var pages: [CompressedPage] = []
                pages.reserveCapacity(chunk.pages.count)
                for page in chunk.pages {
                    pages.append(try page.compressed(with: compressor, checksum: options.writePageChecksums,
                                                     column: chunk.path))
                }
                groups.append(Piece(chunk: chunk, pages: pages))
            }
            pieces.append(groups)
        }
        return pieces
    }

    private static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

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
/// Two parallel passes: every leaf column is encoded into uncompressed pages (largest column first),
/// then every page of every column is compressed (largest page first), each thread with its own
/// compressor. Splitting compression by page keeps both cores busy when one column (a JSON
/// payload) holds most of the bytes. The file writer then appends the pages in schema order, so
/// the bytes never depend on scheduling.
enum ColumnChunkPool {
    /// One column chunk: its pending pages and the same pages compressed, in order.
    struct Piece: Sendable {
        var chunk: PendingChunk
        var pages: [CompressedPage]
    }

    /// `[leaf][rowGroup]` pieces of every leaf.
    static func encode(leaves: [LeafColumn], groupRows: [Int],
                       options: WriterOptions) throws(ParquetError) -> [[Piece]] {
        let threads = max(1, options.maxThreads ?? processorCount)
        let costs = leaves.map { $0.values.plainSize(0..<$0.values.count) + $0.levelCount / 4 }
        let columnOrder = leaves.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
        let chunks: [[PendingChunk]] = try run(columnOrder, threads: threads, context: { () throws(ParquetError) in
            ColumnChunkWriter.Scratch()
        }) { (scratch: inout ColumnChunkWriter.Scratch, index: Int) throws(ParquetError) -> [PendingChunk] in
            var writer = ColumnChunkWriter(leaf: leaves[index], options: options)
            return groupRows.map { writer.encodeChunk(rows: $0, scratch: &scratch) }
        }

        var allTasks: [(column: Int, group: Int, page: Int)] = []
        for (column, groups) in chunks.enumerated() {
            for (group, chunk) in groups.enumerated() {
                for page in chunk.pages.indices { allTasks.append((column, group, page)) }
            }
        }
        let tasks = allTasks
        func size(_ task: (column: Int, group: Int, page: Int)) -> Int {
            chunks[task.column][task.group].pages[task.page].body.count
        }
        let pageOrder = tasks.indices.sorted { size(tasks[$0]) != size(tasks[$1]) ? size(tasks[$0]) > size(tasks[$1]) : $0 < $1 }
        let checksum = options.writePageChecksums
        let compressed: [CompressedPage] = try run(pageOrder, threads: threads, context: { () throws(ParquetError) in
            try PageCompressor(codec: options.codec)
        }) { (compressor: inout PageCompressor, index: Int) throws(ParquetError) -> CompressedPage in
            let task = tasks[index]
            let chunk = chunks[task.column][task.group]
            return try chunk.pages[task.page].compressed(with: compressor, checksum: checksum, column: chunk.path)
        }

        var pieces = chunks.map { $0.map { Piece(chunk: $0, pages: []) } }
        for (index, task) in tasks.enumerated() {
            pieces[task.column][task.group].pages.append(compressed[index])
        }
        return pieces
    }

    private struct State<Output: Sendable>: Sendable {
        var next = 0
        var outputs: [Output?]
        var error: ParquetError?
    }

    /// Runs `body` for every index of `order` (indices into the result) on up to `threads` threads.
    ///
    /// Each thread makes one `context` (a compressor, scratch buffers) and takes the next index
    /// until none is left; the first error stops the others from taking more.
    private static func run<Context, Output: Sendable>(
        _ order: [Int], threads: Int, context makeContext: @Sendable () throws(ParquetError) -> Context,
        _ body: @Sendable (inout Context, Int) throws(ParquetError) -> Output
    ) throws(ParquetError) -> [Output] {
        let workers = min(threads, order.count)
        if workers <= 1 {
            var context = try makeContext()
            var outputs = [Output?](repeating: nil, count: order.count)
            for index in order { outputs[index] = try body(&context, index) }
            return outputs.map { $0! }
        }
        let state = Mutex(State<Output>(outputs: Array(repeating: nil, count: order.count)))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var context: Context
            do throws(ParquetError) {
                context = try makeContext()
            } catch {
                state.withLock { $0.error = $0.error ?? error }
                return
            }
            while true {
                let taken: Int? = state.withLock { state in
                    guard state.error == nil, state.next < order.count else { return nil }
                    defer { state.next += 1 }
                    return order[state.next]
                }
                guard let index = taken else { return }
                do throws(ParquetError) {
                    let output = try body(&context, index)
                    state.withLock { $0.outputs[index] = output }
                } catch {
                    state.withLock { $0.error = $0.error ?? error }
                    return
                }
            }
        }
        let finished = state.withLock { state in
            (state.error, state.outputs)
        }
        if let error = finished.0 { throw error }
        return finished.1.map { $0! }
    }

    private static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes the column chunks of a file on a few threads, each with its own compressor and scratch buffers.
///
/// Every leaf column is one unit of work (all of its row groups), taken largest first so that the
/// long columns start early. Each chunk is written into its own buffer with offsets from 0; the
/// file writer concatenates them in schema order and rebases the offsets, so the bytes never
/// depend on scheduling.
enum ColumnChunkPool {
    /// One column chunk: its bytes and its metadata with offsets relative to `bytes`.
    struct Piece: Sendable {
        var bytes: [UInt8]
        var result: ColumnChunkWriter.Result
    }

    private struct State {
        var next = 0
        var pieces: [[Piece]?]
        var error: ParquetError?
    }

    /// `[leaf][rowGroup]` pieces of every leaf.
    static func encode(leaves: [LeafColumn], groupRows: [Int],
                       options: WriterOptions) throws(ParquetError) -> [[Piece]] {
        let costs = leaves.map { $0.values.plainSize(0..<$0.values.count) + $0.levelCount / 4 }
        let order = leaves.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
        let threads = max(1, min(options.maxThreads ?? processorCount, leaves.count))
        if threads == 1 {
            let compressor = try PageCompressor(codec: options.codec)
            var scratch = ColumnChunkWriter.Scratch()
            var pieces: [[Piece]] = []
            for leaf in leaves {
                pieces.append(try encode(leaf, groupRows: groupRows, options: options, compressor: compressor,
                                         scratch: &scratch))
            }
            return pieces
        }
        let state = Mutex(State(pieces: Array(repeating: nil, count: leaves.count)))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let compressor: PageCompressor
            do throws(ParquetError) {
                compressor = try PageCompressor(codec: options.codec)
            } catch {
                state.withLock { $0.error = $0.error ?? error }
                return
            }
            var scratch = ColumnChunkWriter.Scratch()
            while true {
                let taken: Int? = state.withLock { state in
                    guard state.error == nil, state.next < order.count else { return nil }
                    defer { state.next += 1 }
                    return order[state.next]
                }
                guard let index = taken else { return }
                do throws(ParquetError) {
                    let pieces = try encode(leaves[index], groupRows: groupRows, options: options,
                                            compressor: compressor, scratch: &scratch)
                    state.withLock { $0.pieces[index] = pieces }
                } catch {
                    state.withLock { $0.error = $0.error ?? error }
                    return
                }
            }
        }
        let finished = state.withLock { $0 }
        if let error = finished.error { throw error }
        return finished.pieces.map { $0 ?? [] }
    }

    private static func encode(_ leaf: LeafColumn, groupRows: [Int], options: WriterOptions,
                               compressor: PageCompressor,
                               scratch: inout ColumnChunkWriter.Scratch) throws(ParquetError) -> [Piece] {
        var writer = ColumnChunkWriter(leaf: leaf, options: options, compressor: compressor)
        var pieces: [Piece] = []
        pieces.reserveCapacity(groupRows.count)
        let estimate = estimatedSize(leaf, codec: options.codec) / max(1, groupRows.count)
        for rows in groupRows {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(estimate)
            let result = try writer.writeChunk(rows: rows, scratch: &scratch, into: &bytes)
            pieces.append(Piece(bytes: bytes, result: result))
        }
        return pieces
    }

    /// A capacity guess for a column's bytes from the raw value sizes and the codec.
    private static func estimatedSize(_ leaf: LeafColumn, codec: CompressionCodec) -> Int {
        let raw = leaf.values.plainSize(0..<leaf.values.count) + leaf.levelCount / 4
        switch codec {
        case .uncompressed: return raw + 1024
        default: return raw / 3 + 1024
        }
    }

    private static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

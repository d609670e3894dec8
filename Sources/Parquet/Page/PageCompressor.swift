import CSnappy
import CZlib
import CZstd

/// Compresses page bodies with one codec, reusing its native context and output buffer across pages.
///
/// Not thread-safe and not `Sendable`: one compressor serves one file write. The bytes returned
/// by `compress` stay valid only until the next call.
final class PageCompressor {
    let codec: CompressionCodec
    private var scratch: UnsafeMutableRawBufferPointer
    private var zstdContext: OpaquePointer?
    private var deflateStream: UnsafeMutablePointer<z_stream>?

    init(codec: CompressionCodec) throws(ParquetError) {
        self.codec = codec
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        switch codec {
        case .zstd:
            guard let context = ZSTD_createCCtx() else {
                scratch.deallocate()
                throw ParquetError(.compressionFailed, "ZSTD_createCCtx failed")
            }
            zstdContext = context
        case .gzip:
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // windowBits 31 = 15 with a gzip header and trailer, as the Parquet GZIP codec requires.
            let status = deflateInit2_(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY,
                                       zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else {
                stream.deallocate()
                scratch.deallocate()
                throw ParquetError(.compressionFailed, "deflateInit2 failed with status \(status)")
            }
            deflateStream = stream
        case .uncompressed, .snappy:
            break
        }
    }

    deinit {
        if let zstdContext { ZSTD_freeCCtx(zstdContext) }
        if let deflateStream {
            deflateEnd(deflateStream)
            deflateStream.deinitialize(count: 1)
            deflateStream.deallocate()
        }
        scratch.deallocate()
    }

    /// Compresses `input` and calls `body` with the compressed bytes (the input itself when uncompressed).
    func compress<R>(_ input: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) throws(ParquetError) -> R {
        if case .uncompressed = codec {
            return input.withUnsafeBytes { body($0) }
        }
        // withUnsafeBytes rethrows untyped errors, so carry the typed error out in a Result.
        let count = try input.withUnsafeBytes { source in
            Result { () throws(ParquetError) -> Int in try compress(source) }
        }.get()
        return body(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
    }

    private func reserveScratch(_ byteCount: Int) {
        guard byteCount > scratch.count else { return }
        scratch.deallocate()
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 16)
    }

    private func compress(_ source: UnsafeRawBufferPointer) throws(ParquetError) -> Int {
        // A zero-length buffer may have no base address; compress from a valid dummy pointer.
        var empty: UInt8 = 0
        return try withUnsafeMutablePointer(to: &empty) { (dummy) throws(ParquetError) -> Int in
            let input = source.baseAddress ?? UnsafeRawPointer(dummy)
            switch codec {
            case .uncompressed:
                reserveScratch(source.count)
                if source.count > 0, let destination = scratch.baseAddress {
                    destination.copyMemory(from: input, byteCount: source.count)
                }
                return source.count
            case .snappy:
                reserveScratch(snappy_max_compressed_length(source.count))
                var length = scratch.count
                let status = snappy_compress(input.assumingMemoryBound(to: CChar.self), source.count,
                                             scratch.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
                guard status == SNAPPY_OK else {
                    throw ParquetError(.compressionFailed, "snappy_compress failed with status \(status.rawValue)")
                }
                return length
            case .zstd(let level):
                reserveScratch(ZSTD_compressBound(source.count))
                let result = ZSTD_compressCCtx(zstdContext, scratch.baseAddress, scratch.count,
                                               input, source.count, level)
                guard ZSTD_isError(result) == 0 else {
                    let name = String(cString: ZSTD_getErrorName(result))
                    throw ParquetError(.compressionFailed, "ZSTD_compress failed: \(name)")
                }
                return result
            case .gzip:
                guard let stream = deflateStream else {
                    throw ParquetError(.compressionFailed, "deflate stream missing")
                }
                _ = deflateReset(stream)
                reserveScratch(Int(deflateBound(stream, UInt(source.count))) + 32)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.assumingMemoryBound(to: Bytef.self))
                stream.pointee.avail_in = uInt(source.count)
                stream.pointee.next_out = scratch.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(scratch.count)
                let status = deflate(stream, Z_FINISH)
                guard status == Z_STREAM_END else {
                    throw ParquetError(.compressionFailed, "deflate failed with status \(status)")
                }
                return Int(stream.pointee.total_out)
            }
        }
    }
}

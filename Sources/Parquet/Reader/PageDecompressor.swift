import CSnappy
import CZlib
import CZstd

/// Decompresses page bodies for the reader, given the size the page header says they expand to.
///
/// Supports the Thrift `CompressionCodec` values UNCOMPRESSED (0), SNAPPY (1), GZIP (2) and ZSTD (6);
/// any other codec, and any output whose size differs from the expected one, throws.
enum PageDecompressor {
    static func decompress(_ input: ArraySlice<UInt8>, codec: Int32, uncompressedSize: Int,
                           column: String) throws(ParquetError) -> [UInt8] {
        let context = ["column": column]
        switch codec {
        case CompressionCodec.uncompressed.thriftValue:
            guard input.count == uncompressedSize else {
                throw ParquetError(.invalidColumnData, "malformed Parquet page: uncompressed page of \(input.count) bytes, "
                                   + "header says \(uncompressedSize)", context: context)
            }
            return Array(input)
        case CompressionCodec.snappy.thriftValue, CompressionCodec.gzip.thriftValue, CompressionCodec.zstd(level: 1).thriftValue:
            break
        default:
            throw ParquetError(.compressionFailed, "unsupported compression codec \(codec)", context: context)
        }
        guard uncompressedSize > 0 else {
            // Nothing to produce; a codec still wraps empty input in a small frame, which is not checked.
            return []
        }
        guard !input.isEmpty else {
            throw ParquetError(.compressionFailed, "empty compressed page, header says \(uncompressedSize) bytes",
                               context: context)
        }
        // Check the claimed size against the compressed data before allocating it.
        if let failure = input.withUnsafeBytes({ plausibility($0, codec: codec, uncompressedSize: uncompressedSize) }) {
            throw ParquetError(.compressionFailed, "decompression failed: \(failure)", context: context)
        }
        var failure: String?
        let output = input.withUnsafeBytes { source -> [UInt8] in
            [UInt8](unsafeUninitializedCapacity: uncompressedSize) { buffer, initialized in
                initialized = 0
                guard let destination = buffer.baseAddress, let sourceBase = source.baseAddress else {
                    failure = "no buffer"
                    return
                }
                let produced: Int?
                switch codec {
                case CompressionCodec.snappy.thriftValue: produced = snappy(sourceBase, source.count, destination, uncompressedSize, &failure)
                case CompressionCodec.gzip.thriftValue: produced = gzip(sourceBase, source.count, destination, uncompressedSize, &failure)
                default: produced = zstd(sourceBase, source.count, destination, uncompressedSize, &failure)
                }
                guard let produced else { return }
                guard produced == uncompressedSize else {
                    failure = "decompressed \(produced) bytes, header says \(uncompressedSize)"
                    return
                }
                initialized = produced
            }
        }
        if let failure {
            throw ParquetError(.compressionFailed, "decompression failed: \(failure)", context: context)
        }
        return output
    }

    /// Why `source` cannot expand to `uncompressedSize` bytes, or nil: snappy and zstd record the
    /// size in their headers, and deflate expands at most 1032 times.
    private static func plausibility(_ source: UnsafeRawBufferPointer, codec: Int32,
                                     uncompressedSize: Int) -> String? {
        guard let base = source.baseAddress else { return "no input" }
        switch codec {
        case CompressionCodec.snappy.thriftValue:
            var length = 0
            guard snappy_uncompressed_length(base.assumingMemoryBound(to: CChar.self), source.count, &length) == SNAPPY_OK
            else { return "snappy header unreadable" }
            return length == uncompressedSize ? nil : "snappy length \(length), header says \(uncompressedSize)"
        case CompressionCodec.gzip.thriftValue:
            return uncompressedSize / 1032 <= source.count ? nil : "\(source.count) gzip bytes cannot hold \(uncompressedSize)"
        default:
            // ZSTD_CONTENTSIZE_UNKNOWN is (0ULL - 1) and ZSTD_CONTENTSIZE_ERROR (0ULL - 2).
            let unknown = UInt64.max
            let size = ZSTD_getFrameContentSize(base, source.count)
            if size == unknown - 1 { return "not a zstd frame" }
            // A known size larger than the page is wrong; a smaller one may be the first of several frames.
            if size != unknown && size > UInt64(uncompressedSize) {
                return "zstd frame of \(size) bytes, header says \(uncompressedSize)"
            }
            return nil
        }
    }

    /// `plausibility` checked already that the snappy header announces exactly `capacity` bytes.
    private static func snappy(_ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutablePointer<UInt8>,
                               _ capacity: Int, _ failure: inout String?) -> Int? {
        let input = source.assumingMemoryBound(to: CChar.self)
        var length = capacity
        let status = destination.withMemoryRebound(to: CChar.self, capacity: capacity) { out in
            snappy_uncompress(input, count, out, &length)
        }
        guard status == SNAPPY_OK else {
            failure = "snappy_uncompress status \(status.rawValue)"
            return nil
        }
        return length
    }

    private static func zstd(_ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutablePointer<UInt8>,
                             _ capacity: Int, _ failure: inout String?) -> Int? {
        let result = ZSTD_decompress(destination, capacity, source, count)
        guard ZSTD_isError(result) == 0 else {
            failure = "ZSTD_decompress: " + String(cString: ZSTD_getErrorName(result))
            return nil
        }
        return result
    }

    /// Inflates gzip (or zlib) members one after another until the output is full.
    private static func gzip(_ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutablePointer<UInt8>,
                             _ capacity: Int, _ failure: inout String?) -> Int? {
        guard count <= Int(UInt32.max), capacity <= Int(UInt32.max) else {
            failure = "page too large for zlib"
            return nil
        }
        var stream = z_stream()
        // windowBits 15 + 32: detect a gzip or zlib header automatically.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            failure = "inflateInit2 failed"
            return nil
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: source.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(count)
        stream.next_out = destination
        stream.avail_out = uInt(capacity)
        while true {
            let status = inflate(&stream, Z_FINISH)
            switch status {
            case Z_STREAM_END:
                // Another member may follow; each round consumes input, so this ends.
                if stream.avail_in > 0 && stream.avail_out > 0 {
                    guard inflateReset(&stream) == Z_OK else {
                        failure = "inflateReset failed"
                        return nil
                    }
                    continue
                }
                return capacity - Int(stream.avail_out)
            case Z_BUF_ERROR where stream.avail_out == 0:
                failure = "gzip data longer than the header says"
                return nil
            default:
                failure = "inflate status \(status)"
                return nil
            }
        }
    }
}

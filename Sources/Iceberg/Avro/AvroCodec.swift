import CZlib

/// The compression applied to each block of an Avro container file (`avro.codec`).
package enum AvroCodec: String, Sendable, Hashable {
    /// No compression.
    case null
    /// Raw DEFLATE (RFC 1951, no zlib header or checksum), as the Avro spec requires.
    case deflate

    /// Compresses one block.
    func compress(_ input: [UInt8]) throws -> [UInt8] {
        switch self {
        case .null: return input
        case .deflate: return try Self.deflate(input)
        }
    }

    /// Decompresses one block.
    func decompress(_ input: [UInt8]) throws -> [UInt8] {
        switch self {
        case .null: return input
        case .deflate: return try Self.inflate(input)
        }
    }

    private static func failure(_ what: String, _ status: Int32) -> CatalogError {
        CatalogError(.invalidMetadata, what, context: ["zlib_status": String(status)])
    }

    private static func deflate(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        var status = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw failure("deflate init failed", status) }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        var input = input
        let produced: Int = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                status = CZlib.deflate(&stream, Z_FINISH)
                return target.count - Int(stream.avail_out)
            }
        }
        guard status == Z_STREAM_END else { throw failure("deflate failed", status) }
        output.removeSubrange(produced...)
        return output
    }

    private static func inflate(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw failure("inflate init failed", status) }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(4096, input.count * 4))
        var input = input
        try input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                guard status == Z_OK || status == Z_STREAM_END else { throw failure("inflate failed", status) }
                if status == Z_OK && produced == 0 && stream.avail_in == 0 { throw failure("deflate data is truncated", status) }
            } while status != Z_STREAM_END
        }
        return output
    }
}

import CZlib

/// Inflates `Content-Encoding: gzip` and `deflate` request bodies with a hard output limit.
///
/// The limit applies to the decompressed size, so a small "gzip bomb" is rejected with 413 as
/// soon as its output passes the limit, never after filling memory. A gzip body may hold several
/// members one after another (RFC 1952), which inflate to their concatenation; any other bytes after
/// the end of the compressed data (zero padding aside) make the body corrupt rather than being dropped.
enum BodyDecompressor {
    enum Encoding: Sendable {
        case gzip
        /// zlib-wrapped deflate (RFC 9110 "deflate"); raw deflate is accepted too.
        case deflate
    }

    enum Failure: Error, Equatable {
        case tooLarge
        case corrupt(String)
    }

    static func inflate(_ input: [UInt8], encoding: Encoding, limit: Int) throws(Failure) -> [UInt8] {
        // windowBits 15+32 detects gzip or zlib headers; -15 is raw deflate.
        do {
            return try run(input, windowBits: encoding == .gzip ? 15 + 16 : 15 + 32, limit: limit)
        } catch .corrupt(let message) where encoding == .deflate {
            do {
                return try run(input, windowBits: -15, limit: limit)
            } catch .tooLarge {
                throw .tooLarge
            } catch {
                throw .corrupt(message)
            }
        }
    }

    private static func run(_ input: [UInt8], windowBits: Int32, limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(4096, input.count * 4)))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        var failure: Failure?
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > limit {
                    failure = .tooLarge
                    return
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    failure = .corrupt("truncated compressed body")
                    return
                }
                if status != Z_OK && status != Z_STREAM_END {
                    failure = .corrupt(stream.msg.map { String(cString: $0) } ?? "inflate error \(status)")
                    return
                }
                guard status == Z_STREAM_END, stream.avail_in > 0 else { continue }
                let rest = UnsafeBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
                if windowBits == 15 + 16, rest.count >= 2, rest[0] == 0x1F, rest[1] == 0x8B {
                    // The next gzip member.
                    inflateReset(&stream)
                    status = Z_OK
                } else if rest.contains(where: { $0 != 0 }) {
                    failure = .corrupt("\(rest.count) bytes follow the end of the compressed data")
                    return
                }
            } while status != Z_STREAM_END
        }
        if let failure { throw failure }
        return output
    }
}

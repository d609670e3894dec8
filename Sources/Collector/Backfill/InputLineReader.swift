import CZlib
import CZstd
import Foundation

/// Reads an NDJSON input file line by line: plain, gzip (`.gz`) or zstd (`.zst`), streaming.
///
/// Lines are returned without their newline (a trailing `\r` is dropped too); empty lines are
/// returned as well so that line numbers match the file. Memory stays bounded by the read size.
final class InputLineReader {
    enum Compression {
        case none, gzip, zstd

        init(path: String) {
            if path.hasSuffix(".gz") { self = .gzip } else if path.hasSuffix(".zst") || path.hasSuffix(".zstd") {
                self = .zstd
            } else { self = .none }
        }
    }

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    private let handle: FileHandle
    private let compression: Compression
    private let path: String
    private var pending: [UInt8] = []
    private var start = 0
    private var finished = false
    private var zlib: UnsafeMutablePointer<z_stream>?
    private var zstd: OpaquePointer?
    private static let readSize = 1 << 20

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ReadError(description: "cannot open \(path)") }
        self.handle = handle
        self.path = path
        compression = Compression(path: path)
        switch compression {
        case .none: break
        case .gzip:
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                throw ReadError(description: "cannot initialise gzip for \(path)")
            }
            zlib = stream
        case .zstd:
            guard let stream = ZSTD_createDStream() else { throw ReadError(description: "cannot initialise zstd for \(path)") }
            ZSTD_initDStream(stream)
            zstd = stream
        }
    }

    deinit {
        if let zlib {
            inflateEnd(zlib)
            zlib.deinitialize(count: 1)
            zlib.deallocate()
        }
        if let zstd { ZSTD_freeDStream(zstd) }
        try? handle.close()
    }

    /// The next line, or nil at the end of the file.
    func nextLine() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = Self.newline(in: pending, from: start) {
                var end = newline
                if end > start, pending[end - 1] == 0x0D { end -= 1 }
                let line = pending[start..<end]
                start = newline + 1
                return line
            }
            if finished {
                guard start < pending.count else { return nil }
                let line = pending[start...]
                start = pending.count
                return line
            }
            if start > 0 {
                pending.removeSubrange(0..<start)
                start = 0
            }
            try fill()
        }
    }

    private static func newline(in bytes: [UInt8], from start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        return bytes.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress,
                  let found = memchr(base + start, 0x0A, raw.count - start) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }

    private func fill() throws {
        let chunk = try handle.read(upToCount: Self.readSize) ?? Data()
        if chunk.isEmpty {
            finished = true
            return
        }
        switch compression {
        case .none:
            pending.append(contentsOf: chunk)
        case .gzip:
            try inflate(chunk)
        case .zstd:
            try decompressZstd(chunk)
        }
    }

    private func inflate(_ chunk: Data) throws {
        guard let stream = zlib else { return }
        var output = [UInt8](repeating: 0, count: 4 * Self.readSize)
        try chunk.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
            stream.pointee.avail_in = UInt32(input.count)
            while stream.pointee.avail_in > 0 {
                let status = output.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = UInt32(target.count)
                    return CZlib.inflate(stream, Z_NO_FLUSH)
                }
                pending.append(contentsOf: output[0..<(output.count - Int(stream.pointee.avail_out))])
                if status == Z_STREAM_END {
                    // Concatenated gzip members: keep going with the next one.
                    if stream.pointee.avail_in > 0 { inflateReset(stream) } else { break }
                } else if status != Z_OK && status != Z_BUF_ERROR {
                    throw ReadError(description: "\(path) is not valid gzip (zlib error \(status))")
                }
            }
        }
    }

    private func decompressZstd(_ chunk: Data) throws {
        guard let stream = zstd else { return }
        let outputSize = ZSTD_DStreamOutSize()
        var output = [UInt8](repeating: 0, count: outputSize)
        try chunk.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            while source.pos < source.size {
                let produced = try output.withUnsafeMutableBytes { target -> Int in
                    var destination = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let status = ZSTD_decompressStream(stream, &destination, &source)
                    if ZSTD_isError(status) != 0 {
                        throw ReadError(description: "\(path) is not valid zstd: \(String(cString: ZSTD_getErrorName(status)))")
                    }
                    return destination.pos
                }
                pending.append(contentsOf: output[0..<produced])
            }
        }
    }
}

import CZstd
import Foundation

/// Reads an NDJSON input file line by line: plain, gzip (`.gz`) or zstd (`.zst`), streaming.
///
/// Lines are returned in batches, without their newline (a trailing `\r` is dropped too); empty
/// lines are returned as well so that line numbers match the file. Memory stays bounded by the
/// batch size.
final class InputLineReader {
    enum Compression {
        case none, gzip, zstd

        /// By the name's suffix, in any letter case: `.gz`; `.zst` or `.zstd`; anything else is plain.
        init(path: String) {
            let name = path.suffix(5).lowercased()
            if name.hasSuffix(".gz") { self = .gzip } else if name.hasSuffix(".zst") || name.hasSuffix(".zstd") {
                self = .zstd
            } else { self = .none }
        }

        /// How many characters of `name` are the compression suffix (0 for plain).
        func suffixLength(of name: String) -> Int {
            switch self {
            case .none: 0
            case .gzip: 3
            case .zstd: name.lowercased().hasSuffix(".zstd") ? 5 : 4
            }
        }
    }

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    /// Where `read(2)` puts the file's bytes (one large read per fill).
    private let input: UnsafeMutableRawBufferPointer
    private let compression: Compression
    /// The input's name in messages.
    private let path: String
    private var pending: [UInt8] = []
    /// Finished batches' buffers, reused for the next ones (batches in flight hold theirs).
    private var spare: [[UInt8]] = []
    private static let maxSpare = 4
    /// The part of `input` not yet decompressed (or appended).
    private var inputStart = 0
    private var inputEnd = 0
    /// Whether the last decompression filled `output`, so the decompressor may hold more.
    private var outputFull = false
    /// Whether the zstd decoder is inside a frame: the file must not end there (a cut-off download).
    private var zstdFrameOpen = false
    /// Whether any byte of the file was read: an empty `.zst` is not zstd data, as `zstd -d` says too.
    private var readAnything = false
    /// Where decompressed bytes land before they join `pending`: one step's worth, small enough
    /// to stay in cache and to bound how far a batch's buffer can grow past its lines.
    private let output: UnsafeMutableBufferPointer<UInt8>
    private var finished = false
    private var gzip: GzipDecoder?
    private var zstd: OpaquePointer?
    private static let readSize = 1 << 20
    /// The longest line read (256 MiB by default): a file with no newline for longer is refused, so
    /// that a line (or a decompression bomb without newlines) cannot take all memory.
    private let maxLineBytes: Int

    /// Reads the file at `path`; messages call it `name` (an `s3://` object read from its downloaded copy).
    init(path: String, name: String? = nil, maxLineBytes: Int = 256 << 20) throws {
        self.maxLineBytes = maxLineBytes
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(description: "cannot open \(name ?? path): \(String(cString: strerror(errno)))") }
        self.path = name ?? path
        compression = Compression(path: path)
        switch compression {
        case .none: break
        case .gzip:
            let fd = self.fd
            let path = self.path
            gzip = GzipDecoder(step: Self.readSize, inputSize: Self.readSize) { buffer in
                try Self.read(fd, into: buffer, path: path)
            }
        case .zstd:
            guard let stream = ZSTD_createDStream() else {
                close(fd)
                throw ReadError(description: "cannot initialise zstd for \(path)")
            }
            ZSTD_initDStream(stream)
            zstd = stream
        }
        output = .allocate(capacity: compression == .zstd ? Self.readSize : 0)
        input = .allocate(byteCount: compression == .gzip ? 0 : Self.readSize, alignment: 16)
    }

    deinit {
        if let zstd { ZSTD_freeDStream(zstd) }
        output.deallocate()
        close(fd)
        input.deallocate()
    }

    /// How far into the file (its compressed bytes) reading has got; any thread may ask, for progress.
    var filePosition: Int64 { max(0, Int64(lseek(fd, 0, SEEK_CUR))) }

    /// The next lines, at most `maxLines` of them (fewer only at the end of the file; none after it).
    ///
    /// The batch takes over the bytes read so far, so lines are not copied one by one; the partial
    /// line after the last one moves to the next batch.
    func nextBatch(maxLines: Int) throws -> LineBatch {
        var lines: [Range<Int>] = []
        lines.reserveCapacity(min(maxLines, 1 << 17))
        var scan = 0
        while lines.count < maxLines {
            if let newline = Self.newline(in: pending, from: scan) {
                var end = newline
                if end > scan, pending[end - 1] == 0x0D { end -= 1 }
                lines.append(scan..<end)
                scan = newline + 1
                continue
            }
            if pending.count - scan > maxLineBytes {
                throw ReadError(description: "\(path) has a line longer than \(maxLineBytes) bytes (no newline in it)")
            }
            if finished {
                if scan < pending.count {
                    lines.append(scan..<pending.count)
                    scan = pending.count
                }
                break
            }
            try fill()
        }
        // The next batch fills a recycled buffer when there is one (its pages are mapped already),
        // else one that holds a batch like this one without growing: a step adds at most
        // `readSize` bytes, so a batch overshoots its last line by less than that.
        var rest = spare.popLast() ?? []
        rest.removeAll(keepingCapacity: true)
        rest.reserveCapacity(max(scan, Self.readSize) + scan / 8 + 2 * Self.readSize)
        rest.append(contentsOf: pending[scan...])
        let bytes = pending
        pending = rest
        return LineBatch(bytes: bytes, lines: lines)
    }

    /// Takes back the bytes of a batch that is done with, to read a later batch into.
    func recycle(_ batch: consuming LineBatch) {
        if spare.count < Self.maxSpare { spare.append(batch.takeBytes()) }
    }

    private static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        var count: Int
        repeat {
            count = Foundation.read(fd, buffer.baseAddress, buffer.count)
        } while count < 0 && errno == EINTR
        guard count >= 0 else { throw ReadError(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
        return count
    }

    private static func newline(in bytes: [UInt8], from start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        return bytes.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress,
                  let found = memchr(base + start, 0x0A, raw.count - start) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }

    /// Adds the next bytes to `pending`: a read of the file, or one step of decompression (at most
    /// `readSize` bytes); sets `finished` at the end of the file.
    private func fill() throws {
        if let gzip {
            let bytes: UnsafeBufferPointer<UInt8>
            do {
                bytes = try gzip.next()
            } catch let error as Inflater.DataError {
                throw ReadError(description: "\(path) is not valid gzip: \(error.description)")
            }
            if bytes.isEmpty { finished = true }
            pending.append(contentsOf: bytes)
            return
        }
        if inputStart == inputEnd && !outputFull {
            let count = try Self.read(fd, into: input, path: path)
            if count == 0 {
                if compression == .zstd && zstdFrameOpen {
                    throw ReadError(description: "\(path) is not valid zstd: the compressed data ends too soon")
                }
                if compression == .zstd && !readAnything {
                    throw ReadError(description: "\(path) is not valid zstd: the file is empty (zstd data has at least one frame)")
                }
                finished = true
                return
            }
            readAnything = true
            inputStart = 0
            inputEnd = count
        }
        switch compression {
        case .none:
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]))
            inputStart = inputEnd
        case .gzip:
            break  // decoded above
        case .zstd:
            try decompressZstdStep()
        }
    }

    private func decompressZstdStep() throws {
        guard let stream = zstd else { return }
        let output = self.output
        var source = ZSTD_inBuffer(src: input.baseAddress, size: inputEnd, pos: inputStart)
        var destination = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        // Until some output, or the input is used up (zstd then holds no more output unless it filled the buffer).
        repeat {
            let status = ZSTD_decompressStream(stream, &destination, &source)
            if ZSTD_isError(status) != 0 {
                throw ReadError(description: "\(path) is not valid zstd: \(String(cString: ZSTD_getErrorName(status)))")
            }
            // 0: a frame is complete and flushed; anything else: it needs more input (or output room).
            zstdFrameOpen = status != 0
        } while destination.pos == 0 && source.pos < source.size
        pending.append(contentsOf: UnsafeBufferPointer(rebasing: output[0..<destination.pos]))
        outputFull = destination.pos == destination.size
        inputStart = source.pos
    }
}

import CZlib
@testable import Collector
import Foundation
import Testing

/// ``GzipDecoder`` and ``Inflater`` against zlib: every kind of block zlib writes decodes to the
/// same bytes whatever sizes the input arrives in and the output is asked for; damaged or cut
/// data is an error, never a crash, a hang or wrong bytes.
struct GzipDecoderTests {
    /// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
    struct Bytes {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
        /// Lines like a Segment archive's: repeated keys, varying values, runs of one byte.
        mutating func events(_ count: Int) -> [UInt8] {
            var text = ""
            for index in 0..<count {
                let user = next() % 500
                text += "{\"type\":\"track\",\"event\":\"Order \(next() % 7)\",\"userId\":\"user-\(user)\","
                text += "\"properties\":{\"revenue\":\(next() % 10_000),\"note\":\"\(String(repeating: "a", count: Int(next() % 40)))\"},"
                text += "\"messageId\":\"m-\(index)-\(next())\",\"timestamp\":\"2026-11-2\(next() % 9)T10:00:00Z\"}\n"
            }
            return Array(text.utf8)
        }
    }

    /// `data` gzip-compressed by zlib at `level` with `strategy`.
    static func gzip(_ data: [UInt8], level: Int32 = 6, strategy: Int32 = Z_DEFAULT_STRATEGY, memLevel: Int32 = 8) -> [UInt8] {
        var stream = z_stream()
        let status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, memLevel, strategy, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        let produced = data.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = UInt32(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return out.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    /// Decodes `compressed`, handing the decoder at most `chunk(n)` bytes on its `n`th read.
    static func decode(_ compressed: [UInt8], step: Int = 1 << 20, inputSize: Int = 1 << 20,
                       chunk: @escaping (Int) -> Int = { _ in .max }) throws -> [UInt8] {
        var offset = 0
        var reads = 0
        let decoder = GzipDecoder(step: step, inputSize: inputSize) { buffer in
            let count = min(buffer.count, compressed.count - offset, max(1, chunk(reads)))
            reads += 1
            compressed.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }
        var output: [UInt8] = []
        while true {
            let bytes = try decoder.next()
            if bytes.isEmpty { break }
            #expect(bytes.count <= step + 258)
            output.append(contentsOf: bytes)
        }
        return output
    }

    static let settings: [(level: Int32, strategy: Int32)] = [
        (0, Z_DEFAULT_STRATEGY), (1, Z_DEFAULT_STRATEGY), (6, Z_DEFAULT_STRATEGY), (9, Z_DEFAULT_STRATEGY),
        (6, Z_FILTERED), (6, Z_HUFFMAN_ONLY), (6, Z_RLE), (6, Z_FIXED),
    ]

    @Test("every level and strategy of zlib decodes to the original bytes", arguments: settings)
    func levelsAndStrategies(level: Int32, strategy: Int32) throws {
        var bytes = Bytes(state: 0x9E37_79B9_7F4A_7C15 ^ UInt64(level * 31 + strategy))
        for data in [bytes.events(3_000), bytes.random(200_000), bytes.events(10) + bytes.random(70_000) + bytes.events(400),
                     [UInt8](repeating: 0x41, count: 300_000), [], [0x0A]] {
            let compressed = Self.gzip(data, level: level, strategy: strategy)
            #expect(try Self.decode(compressed) == data)
        }
    }

    @Test("the input can arrive a byte at a time or in odd chunks, and the output can be asked for in small steps")
    func boundaries() throws {
        var bytes = Bytes(state: 42)
        let data = bytes.events(800) + bytes.random(5_000) + bytes.events(800)
        for level: Int32 in [1, 6, 9] {
            let compressed = Self.gzip(data, level: level)
            #expect(try Self.decode(compressed, chunk: { _ in 1 }) == data)
            #expect(try Self.decode(compressed, inputSize: 64, chunk: { $0 % 13 + 1 }) == data)
            var sizes = Bytes(state: UInt64(level))
            #expect(try Self.decode(compressed, step: 1, inputSize: 100, chunk: { _ in Int(sizes.next() % 300) }) == data)
            #expect(try Self.decode(compressed, step: 4_097, chunk: { _ in 1_000 }) == data)
        }
    }

    @Test("matches reach back the whole 32 KiB window across steps, at every short distance too")
    func longAndShortDistances() throws {
        var bytes = Bytes(state: 7)
        let block = bytes.random(32_000)
        // The same 32,000 random bytes again: matches 32,000 back, which only the window holds.
        var data = block + bytes.random(700) + block
        // Runs with periods 1–9, copied with overlap.
        for period in 1...9 {
            let unit = bytes.random(period)
            for _ in 0..<(1_000 / period) { data += unit }
        }
        for step in [1 << 20, 40_000, 1_000, 17] {
            #expect(try Self.decode(Self.gzip(data, level: 9), step: step) == data)
        }
    }

    @Test("members in a row decode as one stream, each checked; an empty member is allowed, an empty file is not")
    func members() throws {
        var bytes = Bytes(state: 3)
        let first = bytes.events(100)
        let second = bytes.random(1_000)
        let joined = Self.gzip(first, level: 1) + Self.gzip([]) + Self.gzip(second, level: 9)
        #expect(try Self.decode(joined) == first + second)
        #expect(try Self.decode(joined, chunk: { _ in 3 }) == first + second)
        #expect(try Self.decode(Self.gzip([])) == [])
        expectFailure([], "the file is empty")
    }

    @Test("zero bytes after the last member are padding, as gzip takes them; other bytes there are an error")
    func zeroPadding() throws {
        var bytes = Bytes(state: 5)
        let data = bytes.events(20)
        let compressed = Self.gzip(data)
        #expect(try Self.decode(compressed + [UInt8](repeating: 0, count: 512)) == data)
        #expect(try Self.decode(compressed + [0, 0, 0], chunk: { _ in 1 }) == data)
        expectFailure(compressed + [0, 0, 7], "bytes after gzip member 1 are not another member")
        expectFailure([0, 0, 0], "it does not start with a gzip header")
    }

    @Test("a header's optional fields (extra, name, comment, header CRC) are skipped")
    func headerFields() throws {
        let data = Array("{\"type\":\"track\"}\n".utf8)
        let plain = Self.gzip(data)
        // Flags FHCRC | FEXTRA | FNAME | FCOMMENT, then the fields in the order RFC 1952 gives.
        var header: [UInt8] = [0x1F, 0x8B, 8, 0x1E, 0, 0, 0, 0, 0, 3]
        header += [3, 0, 1, 2, 3] + Array("events.ndjson".utf8) + [0] + Array("a comment".utf8) + [0] + [0xAB, 0xCD]
        #expect(try Self.decode(header + plain.dropFirst(10)) == data)
    }

    func expectFailure(_ compressed: [UInt8], _ expected: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let output = try Self.decode(compressed)
            Issue.record("decoded \(output.count) bytes instead of failing", sourceLocation: sourceLocation)
        } catch let error as Inflater.DataError {
            if let expected { #expect(error.description.contains(expected), sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("a file cut anywhere is an error that says so")
    func truncated() {
        var bytes = Bytes(state: 11)
        let compressed = Self.gzip(bytes.events(40) + bytes.random(300), level: 6)
        let stored = Self.gzip(bytes.random(2_000), level: 0)
        let fixed = Self.gzip(bytes.events(30), level: 6, strategy: Z_FIXED)
        for data in [compressed, stored, fixed] {
            for length in 0..<data.count {
                do {
                    _ = try Self.decode(Array(data.prefix(length)))
                    Issue.record("a copy cut to \(length) of \(data.count) bytes decoded")
                } catch let error as Inflater.DataError {
                    #expect(["the compressed data ends too soon", "the data ends inside a gzip header or trailer",
                             "the file is empty (gzip data has at least one member)"].contains(error.description),
                            "cut to \(length) of \(data.count) bytes: \(error.description)")
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
        }
    }

    @Test("a cut file decoded in tiny steps hands out only bytes of the data before the error, and the error stays")
    func truncatedInSteps() throws {
        var bytes = Bytes(state: 13)
        let data = bytes.events(60)
        let compressed = Self.gzip(data, level: 9)
        for cut in stride(from: 20, to: compressed.count - 8, by: 3) {
            var offset = 0
            let input = Array(compressed.prefix(cut))
            let decoder = GzipDecoder(step: 1, inputSize: 64) { buffer in
                let count = min(buffer.count, input.count - offset)
                input.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
                offset += count
                return count
            }
            var output: [UInt8] = []
            do {
                while true {
                    let step = try decoder.next()
                    if step.isEmpty { break }
                    output.append(contentsOf: step)
                }
                Issue.record("a copy cut to \(cut) bytes decoded")
            } catch {
                #expect(output == Array(data.prefix(output.count)), "cut to \(cut): bytes that are not the data's")
                #expect(throws: Inflater.DataError.self) { _ = try decoder.next() }
            }
        }
    }

    @Test("damaged data is an error, never a crash, a hang or other bytes")
    func damaged() throws {
        var bytes = Bytes(state: 5)
        let data = bytes.events(200)
        let compressed = Self.gzip(data)
        expectFailure([0x50, 0x4B, 3, 4] + compressed, "does not start with a gzip header")
        expectFailure(compressed + [7, 0], "not another member")
        var badCRC = compressed
        badCRC[badCRC.count - 8] ^= 1
        expectFailure(badCRC, "CRC-32")
        var badSize = compressed
        badSize[badSize.count - 1] ^= 1
        expectFailure(badSize, "wrong length")
        var reserved = compressed
        reserved[3] = 0x20
        expectFailure(reserved, "reserved flags")
        // Any flipped bit in the compressed body: an error, or (when the flip is harmless) the same bytes.
        for index in 10..<(compressed.count - 8) {
            var flipped = compressed
            flipped[index] ^= UInt8(1) << UInt8(index % 8)
            if let output = try? Self.decode(flipped) { #expect(output == data) }
        }
        // Random bytes after a valid header: rejected (zlib agrees on what is invalid).
        for seed in 1...200 {
            var noise = Bytes(state: UInt64(seed))
            expectFailure(Array(compressed.prefix(10)) + noise.random(Int(noise.next() % 400) + 1))
        }
    }

    @Test("invalid blocks: the reserved type, a stored length that fails its complement, codes that do not add up")
    func invalidBlocks() {
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
        expectFailure(header + [0x07, 0, 0, 0, 0, 0, 0, 0, 0], "reserved type")
        expectFailure(header + [0x01, 0x05, 0x00, 0x00, 0x00] + Array(repeating: 0x41, count: 5) + Array(repeating: 0, count: 8),
                      "stored block's length")
        // A dynamic block (BTYPE 2) whose code-length code gives every symbol length 1: oversubscribed.
        expectFailure(header + [0x05, 0xE0, 0xFF, 0x24, 0x49, 0x92, 0x24, 0x49, 0x92, 0x24, 0, 0, 0, 0, 0, 0, 0, 0],
                      "oversubscribed")
    }

    @Test("fixed-code blocks in a row decode without rebuilding their tables (a million empty ones in well under a second)")
    func emptyFixedBlocks() throws {
        // BFINAL 0, BTYPE 01, end of block (seven zero bits): 10 bits each, 4 blocks per 5 bytes.
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
        var body = [UInt8](repeating: 0, count: 0)
        for _ in 0..<250_000 { body += [0x02, 0x08, 0x20, 0x80, 0x00] }
        // A final stored block of length 0 ends the stream; the CRC and length of nothing are zero.
        body += [0x01, 0x00, 0x00, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 8)
        let started = ContinuousClock.now
        #expect(try Self.decode(header + body) == [])
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("the backfill reader reads gzip input through the decoder, lines intact")
    func lineReader() throws {
        var bytes = Bytes(state: 9)
        let data = bytes.events(5_000)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-\(UUID().uuidString).ndjson.gz").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(Self.gzip(data)).write(to: URL(fileURLWithPath: path))
        let reader = try InputLineReader(path: path)
        var lines: [String] = []
        while true {
            let batch = try reader.nextBatch(maxLines: 777)
            if batch.isEmpty { break }
            for index in 0..<batch.count { lines.append(String(decoding: batch[index], as: UTF8.self)) }
        }
        let expected = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines == expected)

        // A line longer than the reader's limit (a bomb of one byte value, say) is refused, not held.
        let bomb = path + ".bomb.gz"
        defer { try? FileManager.default.removeItem(atPath: bomb) }
        try Data(Self.gzip([UInt8](repeating: 0x20, count: 3_000_000), level: 9)).write(to: URL(fileURLWithPath: bomb))
        let capped = try InputLineReader(path: bomb, maxLineBytes: 1 << 20)
        #expect(throws: InputLineReader.ReadError.self) { _ = try capped.nextBatch(maxLines: 10) }

        let broken = path + ".broken.gz"
        defer { try? FileManager.default.removeItem(atPath: broken) }
        try Data(Self.gzip(data).dropLast(20)).write(to: URL(fileURLWithPath: broken))
        let cut = try InputLineReader(path: broken)
        #expect(throws: InputLineReader.ReadError.self) {
            while try !cut.nextBatch(maxLines: 1_000).isEmpty {}
        }
    }
}

import CZlib

/// Decodes a gzip file (RFC 1952) in steps of bounded output: one member, or several in a row as
/// `cat a.gz b.gz` makes them, optionally followed by zero bytes (as gzip accepts); each member's CRC-32 and
/// length are checked.
///
/// Segment's S3 archives are gzip, so this is a backfill's hottest loop after JSON parsing;
/// ``Inflater`` decodes about three times as fast as zlib's `inflate` here (Benchmarks/README.md).
package final class GzipDecoder {
    private let inflater: Inflater
    private var inMember = false
    private var finished = false
    private var members = 0
    private var crc: UInt = 0
    private var size: UInt32 = 0

    /// `step`: the most output one ``next()`` returns (it can return up to 258 bytes more).
    package init(step: Int = 1 << 20, inputSize: Int = 1 << 20, source: @escaping Inflater.Source) {
        inflater = Inflater(step: step, inputSize: inputSize, source: source)
    }

    /// The next decoded bytes, valid until the next call; empty at the end of the data.
    package func next() throws -> UnsafeBufferPointer<UInt8> {
        while !finished {
            if !inMember {
                guard try startMember() else {
                    finished = true
                    break
                }
            }
            let bytes = try inflater.decode()
            if let base = bytes.baseAddress, !bytes.isEmpty {
                crc = crc32(crc, base, UInt32(bytes.count))
                size &+= UInt32(truncatingIfNeeded: bytes.count)
            }
            if inflater.atStreamEnd { try finishMember() }
            if !bytes.isEmpty { return bytes }
        }
        return UnsafeBufferPointer(start: nil, count: 0)
    }

    private func byte() throws -> UInt8 {
        guard let byte = try inflater.readByte() else { throw Inflater.DataError(description: "the data ends inside a gzip header or trailer") }
        return byte
    }

    private func littleEndian32() throws -> UInt32 {
        var value: UInt32 = 0
        for shift in stride(from: 0, to: 32, by: 8) { value |= UInt32(try byte()) << UInt32(shift) }
        return value
    }

    /// Reads a member's header; false at the end of the data.
    private func startMember() throws -> Bool {
        guard let first = try inflater.readByte() else {
            if members == 0 { throw Inflater.DataError(description: "the file is empty (gzip data has at least one member)") }
            return false
        }
        if first == 0, members > 0 {
            // Zero padding after the last member (tape blocks, some archivers): gzip ignores it, and so does this.
            while let padding = try inflater.readByte() {
                guard padding == 0 else { throw Inflater.DataError(description: "bytes after gzip member \(members) are not another member") }
            }
            return false
        }
        guard first == 0x1F, try byte() == 0x8B else {
            throw Inflater.DataError(description: members == 0 ? "it does not start with a gzip header"
                                                              : "bytes after gzip member \(members) are not another member")
        }
        guard try byte() == 8 else { throw Inflater.DataError(description: "a member's compression method is not deflate") }
        let flags = try byte()
        guard flags & 0xE0 == 0 else { throw Inflater.DataError(description: "a member's header sets reserved flags") }
        for _ in 0..<6 { _ = try byte() }  // modification time, extra flags, operating system
        if flags & 0x04 != 0 {  // FEXTRA
            let length = Int(try byte()) | Int(try byte()) << 8
            for _ in 0..<length { _ = try byte() }
        }
        if flags & 0x08 != 0 { while try byte() != 0 {} }  // FNAME
        if flags & 0x10 != 0 { while try byte() != 0 {} }  // FCOMMENT
        if flags & 0x02 != 0 { _ = try byte(); _ = try byte() }  // FHCRC
        inflater.startStream()
        inMember = true
        crc = 0
        size = 0
        return true
    }

    private func finishMember() throws {
        members += 1
        let expectedCRC = try littleEndian32()
        let expectedSize = try littleEndian32()
        guard UInt(expectedCRC) == crc else { throw Inflater.DataError(description: "gzip member \(members) fails its CRC-32 check") }
        guard expectedSize == size else { throw Inflater.DataError(description: "gzip member \(members) has the wrong length") }
        inMember = false
    }
}

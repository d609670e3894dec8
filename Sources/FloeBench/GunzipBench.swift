import CZlib
import Collector
import Foundation

/// `floe bench gunzip`: decodes a gzip file held in memory with Floe's decoder (the one
/// `floe backfill` reads `.gz` input with) and with zlib's `inflate`, the peer, best of N repeats each.
public enum GunzipBench {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One JSON line: both decoders' best seconds and MB/s of output, and Floe's speed over zlib's.
    public static func run(input: String, repeats: Int) throws -> String {
        let compressed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input)))
        var floe = Double.infinity
        var zlib = Double.infinity
        var floeBytes = 0
        var zlibBytes = 0
        for _ in 0..<max(1, repeats) {
            var start = ContinuousClock.now
            floeBytes = try decodeWithFloe(compressed)
            floe = min(floe, (ContinuousClock.now - start).inSeconds)
            start = ContinuousClock.now
            zlibBytes = try decodeWithZlib(compressed)
            zlib = min(zlib, (ContinuousClock.now - start).inSeconds)
        }
        // Both check every member's CRC-32 and length themselves.
        guard floeBytes == zlibBytes else {
            throw Failure(description: "the decoders disagree: \(floeBytes) bytes against zlib's \(zlibBytes)")
        }
        func megabytes(_ seconds: Double) -> Int { Int(Double(floeBytes) / seconds / 1_000_000) }
        return "{\"input_bytes\":\(compressed.count),\"output_bytes\":\(floeBytes),\"floe_seconds\":\(floe),"
            + "\"floe_mb_per_s\":\(megabytes(floe)),\"zlib_seconds\":\(zlib),\"zlib_mb_per_s\":\(megabytes(zlib)),"
            + "\"floe_over_zlib\":\(Double(Int(zlib / floe * 100)) / 100)}"
    }

    /// The output's length.
    private static func decodeWithFloe(_ compressed: [UInt8]) throws -> Int {
        var offset = 0
        let decoder = GzipDecoder { buffer in
            let count = min(buffer.count, compressed.count - offset)
            compressed.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }
        var total = 0
        while true {
            let bytes = try decoder.next()
            if bytes.isEmpty { break }
            total += bytes.count
        }
        return total
    }

    private static func decodeWithZlib(_ compressed: [UInt8]) throws -> Int {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 20
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { output.deallocate() }
        var total = 0
        try compressed.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress else { return }
            var offset = 0
            while offset < input.count {
                let step = min(chunk, input.count - offset)
                stream.next_in = UnsafeMutablePointer(mutating: base + offset)
                stream.avail_in = UInt32(step)
                repeat {
                    stream.next_out = output
                    stream.avail_out = UInt32(chunk)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    let produced = chunk - Int(stream.avail_out)
                    total += produced
                    if status == Z_STREAM_END {
                        if stream.avail_in > 0 { inflateReset(&stream) } else { break }
                    } else if status != Z_OK && status != Z_BUF_ERROR {
                        throw Failure(description: "zlib error \(status)")
                    }
                } while stream.avail_in > 0 || stream.avail_out == 0
                offset += step
            }
        }
        return total
    }
}

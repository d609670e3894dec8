@testable import Collector
import CZstd
import Foundation
import Testing

/// Reading backfill inputs whole or not at all, and keeping every run's rejects.
@Suite("Backfill input and rejects")
struct InputLineReaderTests {
    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    func zstd(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let size = output.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { ZSTD_compress(target.baseAddress, target.count, $0.baseAddress, $0.count, 3) }
        }
        #expect(ZSTD_isError(size) == 0)
        return Array(output.prefix(size))
    }

    func readAll(_ path: String) throws -> [String] {
        let reader = try InputLineReader(path: path)
        var lines: [String] = []
        while true {
            let batch = try reader.nextBatch(maxLines: 100)
            if batch.isEmpty { return lines }
            for index in 0..<batch.count { lines.append(String(decoding: batch[index], as: UTF8.self)) }
        }
    }

    @Test("zstd input of several frames is read whole; one cut off inside a frame is an error, not a shorter file")
    func zstdFrames() throws {
        let lines = (0..<1_000).map { #"{"type":"track","event":"e\#($0)","userId":"u"}"# }
        let text = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        let half = text.count / 2
        let path = temporary("in.ndjson.zst")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(zstd(Array(text[..<half])) + zstd(Array(text[half...]))).write(to: URL(fileURLWithPath: path))
        #expect(try readAll(path) == lines)

        let cut = temporary("cut.ndjson.zst")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try Data(zstd(text).dropLast(100)).write(to: URL(fileURLWithPath: cut))
        #expect { _ = try readAll(cut) } throws: { error in
            (error as? InputLineReader.ReadError)?.description.hasSuffix("the compressed data ends too soon") == true
        }
    }

    @Test("an empty .zst is an error, as an empty .gz is and as zstd -d says; a frame of no bytes is an empty file")
    func emptyZstd() throws {
        let empty = temporary("empty.ndjson.zst")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect { _ = try readAll(empty) } throws: { error in
            (error as? InputLineReader.ReadError)?.description.hasSuffix("the file is empty (zstd data has at least one frame)") == true
        }
        let nothing = temporary("nothing.ndjson.zst")
        defer { try? FileManager.default.removeItem(atPath: nothing) }
        try Data(zstd([])).write(to: URL(fileURLWithPath: nothing))
        #expect(try readAll(nothing).isEmpty)
    }

    @Test("a rejects log appends to what an earlier run wrote")
    func rejectsAppend() throws {
        let path = temporary("rejects.ndjson")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var first = RejectsLog(path: path)
        try first.write(file: "a.ndjson", line: 1, reasons: ["event: is required for track"])
        try first.close()
        var second = RejectsLog(path: path)
        try second.write(file: "a.ndjson", line: 5000, reasons: ["userId: userId or anonymousId is required"])
        try second.close()
        let written = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(written.count == 2)
        #expect(written.first?.contains(#""line":1,"#) == true && written.last?.contains(#""line":5000,"#) == true)
    }
}

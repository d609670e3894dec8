import Foundation
@testable import Iceberg
import Testing

@Suite("LocalFileIO")
struct LocalFileIOTests {
    @Test("writes, reads, lists and deletes through file URIs and plain paths", arguments: ["file://", ""])
    func roundTrip(scheme: String) async throws {
        let directory = try Fixtures.temporaryDirectory()
        let io = LocalFileIO()
        let location = scheme + directory + "/a/b/c.bin"
        try await io.write([1, 2, 3], to: location)
        try await io.write([4, 5], to: location)
        #expect(try await io.read(location) == [4, 5])
        #expect(try await io.exists(location))
        try await io.write([9], to: scheme + directory + "/a/d.bin")
        #expect(try await io.list(prefix: scheme + directory + "/a/") == [location, scheme + directory + "/a/d.bin"])
        #expect(try await io.list(prefix: scheme + directory + "/a/b") == [location])
        try await io.delete(location)
        try await io.delete(location)
        #expect(try await io.exists(location) == false)
        await #expect { try await io.read(location) } throws: { ($0 as? FileIOError)?.code == .notFound }
    }

    @Test("unsynced writes create missing directories, replace what is there, and persist")
    func unsynced() async throws {
        let directory = try Fixtures.temporaryDirectory()
        let io = LocalFileIO()
        let first = "file://" + directory + "/data/type=track/hour=1/a.parquet"
        let second = directory + "/data/type=page/b.parquet"
        try await io.writeUnsynced([1, 2, 3, 4], to: first)
        try await io.writeUnsynced([5], to: first)
        try await io.writeUnsynced([6, 7], to: second)
        try await io.persist([first, second])
        #expect(try await io.read(first) == [5])
        #expect(try await io.read(second) == [6, 7])
        #expect(try await io.list(prefix: directory + "/data/") == [second, directory + "/data/type=track/hour=1/a.parquet"])
        try await io.persist([])
        await #expect(throws: FileIOError.self) { try await io.persist([directory + "/missing/c.parquet"]) }
        await #expect(throws: FileIOError.self) { try await io.writeUnsynced([1], to: "relative/path") }
    }

    @Test("a location with a `..` segment or a zero byte is rejected, not opened", arguments: [
        "/w/../etc/f", "file:///w/data/../../etc/f", "/w/data/type=a\u{0}b/f.parquet",
    ])
    func escapes(location: String) {
        #expect { try LocalFileIO.path(of: location) } throws: { ($0 as? FileIOError)?.code == .invalidLocation }
    }

    @Test("a location's path is opened as written, escapes and all, as Iceberg readers open it")
    func literalPaths() throws {
        #expect(try LocalFileIO.path(of: "file:///w/data/type=a%20b/f.parquet") == "/w/data/type=a%20b/f.parquet")
        #expect(try LocalFileIO.path(of: "file:///w/data/type=x%2F..%2Ftmp/f.parquet") == "/w/data/type=x%2F..%2Ftmp/f.parquet")
        #expect(try LocalFileIO.path(of: "file:/w/type=a%00b/f") == "/w/type=a%00b/f")
        #expect(LocalFileIO.legacyPath(of: "file:///w/data/type=a%20b/f.parquet") == "/w/data/type=a b/f.parquet")
        #expect(LocalFileIO.legacyPath(of: "file:///w/data/type=plain/f.parquet") == nil)
        #expect(LocalFileIO.legacyPath(of: "file:///w/data/type=x%2F..%2F..%2Ftmp/f.parquet") == nil)
        #expect(LocalFileIO.legacyPath(of: "file:///w/data/type=a%00b/f.parquet") == nil)
    }

    @Test("a file written percent-decoded, as Floe once wrote partition directories, is still read and found; a delete removes only the literal path")
    func legacyDecodedFiles() async throws {
        let directory = try Fixtures.temporaryDirectory()
        let io = LocalFileIO()
        try FileManager.default.createDirectory(atPath: "\(directory)/type=a b", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: "\(directory)/type=a b/old.bin", contents: Data([7])))
        let location = "file://\(directory)/type=a%20b/old.bin"
        #expect(try await io.exists(location))
        #expect(try await io.read(location) == [7])
        try await io.write([8], to: "file://\(directory)/type=a%20b/new.bin")
        #expect(FileManager.default.fileExists(atPath: "\(directory)/type=a%20b/new.bin"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/type=a b/new.bin"))
        try await io.delete(location)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/type=a b/old.bin"), "another path than the location's")
        try await io.delete("file://\(directory)/type=a b/old.bin")
        #expect(try await !io.exists(location))
        await #expect { try await io.read(location) } throws: { ($0 as? FileIOError)?.code == .notFound }
    }

    @Test("listed locations name the files on disk, whatever escapes the prefix or the names hold")
    func listingEscapes() async throws {
        let directory = try Fixtures.temporaryDirectory()
        let io = LocalFileIO()
        try await io.write([1], to: "file://\(directory)/type=a%20b/f.bin")
        try await io.write([2], to: "file://\(directory)/type=a%20b/100%2541.bin")
        let listed = try await io.list(prefix: "file://\(directory)/type=a%20b/")
        #expect(listed.count == 2)
        var contents: Set<[UInt8]> = []
        for location in listed { contents.insert(try await io.read(location)) }
        #expect(contents == [[1], [2]])
    }

    @Test("locations that are not local absolute paths are rejected", arguments: ["s3://bucket/key", "relative/path"])
    func invalid(location: String) {
        #expect(throws: FileIOError.self) { try LocalFileIO.path(of: location) }
    }
}

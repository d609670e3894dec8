import Iceberg
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

    @Test("a location that leads out of its directory once decoded is rejected, not opened", arguments: [
        "file:///w/data/type=x%2F..%2F..%2F..%2Ftmp/f.parquet", "/w/data/type=a%00b/f.parquet", "/w/../etc/f",
    ])
    func escapes(location: String) {
        #expect { try LocalFileIO.path(of: location) } throws: { ($0 as? FileIOError)?.code == .invalidLocation }
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

@testable import Collector
import Foundation
import Testing

@Suite("DataDirectoryLock")
struct DataDirectoryLockTests {
    @Test("a part's lock is held by one holder at a time and free again once released; parts are independent")
    func exclusive() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var first: DataDirectoryLock? = try DataDirectoryLock(.buffer, in: directory)
        // flock is per open file: a second open, even in this process, is refused as another process's would be.
        do {
            _ = try DataDirectoryLock(.buffer, in: directory)
            Issue.record("took a lock that is held")
        } catch let held as DataDirectoryLock.Held {
            #expect(held.description.hasPrefix("another floe serve or floe flush is using this data directory"))
            #expect(held.description.contains(directory.appendingPathComponent("buffer.lock").path))
        }
        let backfill = try DataDirectoryLock(.backfill, in: directory)
        withExtendedLifetime(first) {}
        first = nil
        let again = try DataDirectoryLock(.buffer, in: directory)
        withExtendedLifetime((backfill, again)) {}
    }
}

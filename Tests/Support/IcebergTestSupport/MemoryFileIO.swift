import Foundation
import Iceberg
import Synchronization

/// A ``FileIO`` that keeps objects in memory, for tests and dry runs.
public final class MemoryFileIO: FileIO {
    private struct Object {
        var bytes: [UInt8]
        var lastModified: Date
    }

    private let objects = Mutex<[String: Object]>([:])

    /// Creates an empty store.
    public init() {}

    /// A copy of every stored object, by location.
    public var contents: [String: [UInt8]] { objects.withLock { $0.mapValues(\.bytes) } }

    public func write(_ bytes: [UInt8], to location: String) async throws {
        objects.withLock { $0[location] = Object(bytes: bytes, lastModified: Date()) }
    }

    /// Sets the modification time of a stored object (tests of age-based maintenance); no-op when absent.
    public func setLastModified(_ date: Date, of location: String) {
        objects.withLock { $0[location]?.lastModified = date }
    }

    public func read(_ location: String) async throws -> [UInt8] {
        guard let bytes = objects.withLock({ $0[location]?.bytes }) else {
            throw FileIOError(.notFound, "no object at location", context: ["location": location])
        }
        return bytes
    }

    public func exists(_ location: String) async throws -> Bool {
        objects.withLock { $0[location] != nil }
    }

    public func delete(_ location: String) async throws {
        _ = objects.withLock { $0.removeValue(forKey: location) }
    }

    public func list(prefix: String) async throws -> [String] {
        objects.withLock { $0.keys.filter { $0.hasPrefix(prefix) }.sorted() }
    }

    public func listFiles(prefix: String) async throws -> [StoredFile] {
        objects.withLock { objects in
            objects.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }.map {
                StoredFile(location: $0.key, size: Int64($0.value.bytes.count), lastModified: $0.value.lastModified)
            }
        }
    }
}

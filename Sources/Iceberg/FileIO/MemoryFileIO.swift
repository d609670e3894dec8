import Synchronization

/// A ``FileIO`` that keeps objects in memory, for tests and dry runs.
public final class MemoryFileIO: FileIO {
    private let objects = Mutex<[String: [UInt8]]>([:])

    /// Creates an empty store.
    public init() {}

    /// A copy of every stored object, by location.
    public var contents: [String: [UInt8]] { objects.withLock { $0 } }

    public func write(_ bytes: [UInt8], to location: String) async throws {
        objects.withLock { $0[location] = bytes }
    }

    public func read(_ location: String) async throws -> [UInt8] {
        guard let bytes = objects.withLock({ $0[location] }) else {
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
}

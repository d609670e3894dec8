import Iceberg
import Synchronization

/// A ``FileIO`` wrapper that fails scripted operations, for tests of what a writer does when the
/// store fails half-way (a data file, a manifest, a metadata file that could not be written).
///
/// Each rule fails the next `times` operations of its kind whose location matches; operations
/// that match no rule go to the wrapped store. Every location written, and every injected
/// failure, is recorded.
///
/// ```swift
/// let io = FaultInjectingFileIO(base: MemoryFileIO())
/// io.fail(.write, times: 1) { $0.hasSuffix(".parquet") }
/// ```
public final class FaultInjectingFileIO: FileIO {
    public enum Operation: Sendable, Hashable {
        case write, read, exists, delete, list
    }

    private struct Rule {
        var operation: Operation
        var remaining: Int
        var matches: @Sendable (String) -> Bool
    }

    private struct State {
        var rules: [Rule] = []
        var written: [String] = []
        var injected: [(Operation, String)] = []
    }

    private let base: any FileIO
    private let state = Mutex(State())

    public init(base: any FileIO) {
        self.base = base
    }

    /// Fails the next `times` operations of kind `operation` on locations `matching` accepts
    /// with a ``FileIOError`` `io` (retryable, as a 503 from an object store would be).
    public func fail(_ operation: Operation, times: Int = 1,
                     matching: @escaping @Sendable (String) -> Bool = { _ in true }) {
        state.withLock { $0.rules.append(Rule(operation: operation, remaining: times, matches: matching)) }
    }

    /// Removes every rule that has not fired yet.
    public func heal() {
        state.withLock { $0.rules.removeAll() }
    }

    /// Locations successfully written through this wrapper, in order (repeats included).
    public var written: [String] { state.withLock { $0.written } }

    /// Locations of the operations that were failed on purpose, in order.
    public func injectedFailures(of operation: Operation) -> [String] {
        state.withLock { $0.injected.filter { $0.0 == operation }.map(\.1) }
    }

    private func check(_ operation: Operation, _ location: String) throws {
        let fail = state.withLock { state -> Bool in
            guard let index = state.rules.firstIndex(where: {
                $0.operation == operation && $0.remaining > 0 && $0.matches(location)
            }) else { return false }
            state.rules[index].remaining -= 1
            if state.rules[index].remaining == 0 { state.rules.remove(at: index) }
            state.injected.append((operation, location))
            return true
        }
        if fail {
            throw FileIOError(.io, "injected \(operation) failure", context: ["location": location], isRetryable: true)
        }
    }

    public func write(_ bytes: [UInt8], to location: String) async throws {
        try check(.write, location)
        try await base.write(bytes, to: location)
        state.withLock { $0.written.append(location) }
    }

    public func read(_ location: String) async throws -> [UInt8] {
        try check(.read, location)
        return try await base.read(location)
    }

    public func exists(_ location: String) async throws -> Bool {
        try check(.exists, location)
        return try await base.exists(location)
    }

    public func delete(_ location: String) async throws {
        try check(.delete, location)
        try await base.delete(location)
    }

    public func list(prefix: String) async throws -> [String] {
        try check(.list, prefix)
        return try await base.list(prefix: prefix)
    }

    public func listFiles(prefix: String) async throws -> [StoredFile] {
        try check(.list, prefix)
        return try await base.listFiles(prefix: prefix)
    }
}

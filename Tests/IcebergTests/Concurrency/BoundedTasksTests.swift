import Iceberg
import Synchronization
import Testing

@Suite("BoundedTasks")
struct BoundedTasksTests {
    /// How many jobs run at once, and the most that ever did.
    final class Gauge: Sendable {
        private let state = Mutex((running: 0, most: 0))
        func enter() { state.withLock { $0.running += 1; $0.most = max($0.most, $0.running) } }
        func leave() { state.withLock { $0.running -= 1 } }
        var most: Int { state.withLock { $0.most } }
    }

    @Test("results come back in job order, with at most `width` jobs running", arguments: [1, 3, 8])
    func orderAndWidth(width: Int) async throws {
        let gauge = Gauge()
        let results = try await BoundedTasks.map(count: 20, width: width) { index in
            gauge.enter()
            defer { gauge.leave() }
            // Later jobs finish first, so completion order differs from job order.
            try await Task.sleep(for: .milliseconds(20 - index))
            return index * 10
        }
        #expect(results == (0..<20).map { $0 * 10 })
        #expect(gauge.most <= width)
        #expect(gauge.most >= min(width, 2))
    }

    @Test("no jobs, no results")
    func empty() async throws {
        let results = try await BoundedTasks.map(count: 0, width: 4) { $0 }
        #expect(results.isEmpty)
    }

    @Test("a failing job fails the whole map")
    func failure() async {
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            _ = try await BoundedTasks.map(count: 10, width: 3) { index in
                if index == 4 { throw Boom() }
                return index
            }
        }
    }
}

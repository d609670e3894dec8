/// Runs a number of independent jobs as child tasks, at most `width` at a time, keeping results in
/// job order: data files encoded and uploaded side by side, multipart upload parts.
public enum BoundedTasks {
    /// Calls `body` for every index in `0..<count`, starting the next job as soon as one finishes,
    /// and returns the results by index. The first error cancels the jobs still running and is rethrown.
    public static func map<Result: Sendable>(count: Int, width: Int,
                                             _ body: @escaping @Sendable (Int) async throws -> Result) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: count)
            var next = 0
            func start() {
                guard next < count else { return }
                let index = next
                next += 1
                group.addTask { (index, try await body(index)) }
            }
            for _ in 0..<max(1, width) { start() }
            while let (index, result) = try await group.next() {
                results[index] = result
                start()
            }
            return results.compactMap { $0 }
        }
    }
}

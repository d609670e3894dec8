import Synchronization

/// Runs `operation` in its own task and waits for it at most `limit`: its result, or nil when the
/// limit came first. Unlike a task group, it does not wait for an operation that ignores
/// cancellation (a catalog request stuck in connection retries): that one is cancelled and left
/// to finish on its own.
func waitAtMost<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async -> T) async -> T? {
    let task = Task { await operation() }
    let result: T? = await withCheckedContinuation { continuation in
        let waiting = ResumeOnce(continuation)
        Task {
            waiting.resume(returning: await task.value)
        }
        Task {
            try? await Task.sleep(for: max(limit, .zero))
            waiting.resume(returning: nil)
        }
    }
    if result == nil { task.cancel() }
    return result
}

/// A continuation resumed by whichever of several tasks gets there first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T?, Never>?>

    init(_ continuation: CheckedContinuation<T?, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(returning value: T?) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}

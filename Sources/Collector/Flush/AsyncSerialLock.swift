/// A FIFO lock for async code: one holder at a time, waiters resumed in arrival order.
///
/// Actors are re-entrant across `await`; flush cycles must not interleave, so the
/// ``FlushCoordinator`` takes this lock around each cycle.
///
/// The holder always runs at the normal priority, on the default executor, whatever executor its task
/// prefers: maintenance runs on the lowest-priority thread (``MaintenanceScheduler``), and its commits
/// under this lock must not hold the flushes up behind that thread.
actor AsyncSerialLock {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    nonisolated func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(globalConcurrentExecutor) { try await locked(body) }
    }

    private func locked<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        // Cancelled while waiting (a maintenance run stopped by a shutdown): give the lock back unused.
        try Task.checkCancellation()
        return try await body()
    }

    private func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

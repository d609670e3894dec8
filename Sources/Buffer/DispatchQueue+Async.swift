import Dispatch

extension DispatchQueue {
    /// Runs `work` on this queue and returns its result to the awaiting task (the buffer's database
    /// work runs on its own serial queues, never on the cooperative pool). SQLite failures reach the
    /// caller as ``BufferError``.
    func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            self.async { continuation.resume(with: Result { try work() }.mapError(BufferError.wrapping)) }
        }
    }
}

/// Decides what to do after a failed commit attempt: back off and retry (after looking for the commit when
/// its state is unknown), or give up. Holds no I/O and no clock; the caller passes elapsed time and jitter.
struct CommitRetryStateMachine: Sendable {
    /// How an attempt failed.
    enum Failure: Sendable, Hashable {
        /// Not applied; rebase and retry.
        case conflict
        /// Maybe applied; reload and look for the commit id before retrying.
        case stateUnknown
    }

    /// What the caller does next.
    enum Action: Sendable, Hashable {
        /// Wait, reload the table, look for the commit id in `main`'s ancestry, then (if absent) rebase and retry.
        case reloadAndRetry(after: Duration)
        /// Stop and surface the error.
        case fail
    }

    let policy: CommitRetryPolicy
    /// Failed attempts so far.
    private(set) var failures = 0

    init(policy: CommitRetryPolicy) {
        self.policy = policy
    }

    /// Records a failed attempt.
    ///
    /// - Parameters:
    ///   - elapsed: time since the first attempt started.
    ///   - jitter: a random number in `0..<1`; the wait is scaled into its upper half.
    mutating func attemptFailed(_ failure: Failure, elapsed: Duration, jitter: Double) -> Action {
        failures += 1
        guard failures <= policy.numRetries, elapsed < policy.totalTimeout else { return .fail }
        var wait = policy.minWait
        for _ in 1..<failures where wait < policy.maxWait { wait *= 2 }
        wait = min(wait, policy.maxWait)
        let scaled = wait * (0.5 + 0.5 * min(max(jitter, 0), 1))
        return .reloadAndRetry(after: min(scaled, policy.totalTimeout - elapsed))
    }
}

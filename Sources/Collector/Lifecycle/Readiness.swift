import Synchronization

/// Where a `floe serve` process is in its life, for `/health/ready` and the shutdown deadline.
///
/// Plain `/health/ready` is 503 while pending flushes of an earlier process are being recovered; the
/// load balancer's `?for=ingest` is not (requests are taken meanwhile). Both are 503 once SIGTERM has
/// started a drain (docs/scaling.md).
final class Readiness: Sendable {
    enum Phase: String, Sendable {
        /// Recovering flushes an earlier process left pending; requests are taken already.
        case recovering
        case ready
        /// Shutting down: still serving for the drain delay, then stopping.
        case draining
    }

    private struct State {
        var phase: Phase = .recovering
        var drainStarted: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    /// The bound on everything shutdown does, counted from the start of the drain.
    let shutdownTimeout: Duration

    init(shutdownTimeout: Duration) {
        self.shutdownTimeout = shutdownTimeout
    }

    var phase: Phase { state.withLock { $0.phase } }

    /// Recovery is over (a draining process stays draining).
    func recovered() {
        state.withLock { if $0.phase == .recovering { $0.phase = .ready } }
    }

    /// SIGTERM: no longer ready; the shutdown deadline starts now.
    func drain() {
        state.withLock { state in
            state.phase = .draining
            if state.drainStarted == nil { state.drainStarted = .now }
        }
    }

    /// When shutdown must be over (nil before a drain started).
    var deadline: ContinuousClock.Instant? {
        state.withLock { $0.drainStarted.map { $0 + shutdownTimeout } }
    }
}

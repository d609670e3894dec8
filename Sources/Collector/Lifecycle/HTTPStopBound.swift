import Logging
import ServiceLifecycle

/// Runs the HTTP server so that its graceful stop is bounded: once shutdown reaches it, the requests in
/// flight get half of what is left until the shutdown deadline; a connection still open then (a client
/// stalled mid-body, which the idle timeout would close only later) is closed, so that the final flush
/// after it keeps the other half (docs/scaling.md). Nothing acknowledged is affected: a request cut off
/// was not answered.
struct HTTPStopBound<Server: Service>: Service {
    let server: Server
    let readiness: Readiness
    let logger: Logger

    /// How the race between the server and the bound ended for one of them.
    private enum Outcome {
        case serverEnded, boundReached, boundCancelled
    }

    func run() async throws {
        let cutOff = try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask {
                try await server.run()
                return .serverEnded
            }
            group.addTask {
                do {
                    try await gracefulShutdown()
                    try await Task.sleep(for: stopBound)
                } catch {
                    return .boundCancelled  // cancelled, not shut down gracefully: the server's own end decides
                }
                return .boundReached
            }
            while let outcome = try await group.next() {
                switch outcome {
                case .serverEnded:
                    group.cancelAll()
                    return false
                case .boundCancelled:
                    continue
                case .boundReached:
                    group.cancelAll()
                    // The server's cancellation closes the connections still open; its error is that cancellation.
                    do { while try await group.next() != nil {} } catch {}
                    return true
                }
            }
            return false
        }
        if cutOff {
            logger.warning("requests still in flight at half the shutdown time left were cut off; none of them was answered")
        }
    }

    /// Half of what is left until the shutdown deadline (the drain started it), a tenth of the timeout at least.
    private var stopBound: Duration {
        let least = readiness.shutdownTimeout / 10
        guard let deadline = readiness.deadline else { return least }
        return max(least, (deadline - ContinuousClock.now) / 2)
    }
}

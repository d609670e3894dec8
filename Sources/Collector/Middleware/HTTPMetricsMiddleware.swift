import Hummingbird
import Metrics
import Synchronization

/// Counts requests by route template, method and status, and times them.
///
/// The route is Hummingbird's matched template (`/v1/track`; `/v1/:type` for an unknown type),
/// never the raw path, so the label set stays bounded.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, start: start)
            return response
        } catch let error as any HTTPResponseError {
            record(request, context, status: error.status.code, start: start)
            throw error
        } catch {
            record(request, context, status: 500, start: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let route = context.endpointPath ?? "unmatched"
        let elapsed = ContinuousClock.now - start
        let metrics = HTTPMetricsCache.shared.metrics(route: route, method: request.method.rawValue, status: status)
        metrics.requests.increment()
        metrics.duration.recordNanoseconds(elapsed.inNanoseconds)
    }
}

/// Counters and timers per (route, method, status), created once (as Hummingbird's MetricsCache does).
final class HTTPMetricsCache: Sendable {
    struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    struct Entry: Sendable {
        var requests: Counter
        var duration: Metrics.Timer
    }

    static let shared = HTTPMetricsCache()
    private let entries = Mutex([Key: Entry]())

    func metrics(route: String, method: String, status: Int) -> Entry {
        let key = Key(route: route, method: method, status: status)
        if let entry = entries.withLock({ $0[key] }) { return entry }
        let entry = Entry(
            requests: Counter(label: "floe_http_requests_total",
                              dimensions: [("route", route), ("method", method), ("status", String(status))]),
            duration: Metrics.Timer(label: "floe_http_request_duration_seconds", dimensions: [("route", route)]))
        entries.withLock { $0[key] = entry }
        return entry
    }
}

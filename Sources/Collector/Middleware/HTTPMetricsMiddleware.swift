import Hummingbird
import Metrics

/// Counts requests by route template, method and status, and times them.
///
/// The route is Hummingbird's matched template (`/v1/:type`), never the raw path, so the label
/// set stays bounded.
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
        Counter(label: "floe_http_requests_total",
                dimensions: [("route", route), ("method", request.method.rawValue), ("status", String(status))]).increment()
        let elapsed = ContinuousClock.now - start
        Metrics.Timer(label: "floe_http_request_duration_seconds", dimensions: [("route", route)])
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}

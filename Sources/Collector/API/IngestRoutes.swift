import Foundation
import Hummingbird

/// Segment/RudderStack (`/v1/*`) and CloudEvents (`/events`) ingestion routes.
struct IngestRoutes: Sendable {
    let ingestor: Ingestor
    let limits: RequestLimits

    func register(on router: Router<FloeRequestContext>) {
        router.post("/v1/batch") { request, context in try await batch(request, context) }
        router.post("/v1/import") { request, context in try await batch(request, context) }
        router.post("/v1/:type") { request, context -> Response in
            let path = context.parameters.get("type") ?? ""
            guard let type = SegmentNormalizer.MessageType(path: path) else {
                throw APIError(status: .notFound, message: "unknown endpoint /v1/\(path)")
            }
            let body = try await RequestBody.json(request, limit: limits.maxEventBytes)
            try await ingestor.segmentMessage(body, type: type, request: ingestContext(context))
            return JSONResponse.ok("{\"success\":true,\"count\":1}")
        }
        router.post("/events") { request, context -> Response in
            let isBatch = request.headers[.contentType]?.lowercased().hasPrefix("application/cloudevents-batch+json") ?? false
            let body = try await RequestBody.json(request, limit: isBatch ? limits.maxBatchBytes : limits.maxEventBytes)
            let count = try await ingestor.cloudEvents(body, request: ingestContext(context), batch: isBatch)
            return JSONResponse.ok("{\"success\":true,\"count\":\(count)}")
        }
        router.post("/events/batch") { request, context -> Response in
            let body = try await RequestBody.json(request, limit: limits.maxBatchBytes)
            let count = try await ingestor.cloudEvents(body, request: ingestContext(context), batch: true)
            return JSONResponse.ok("{\"success\":true,\"count\":\(count)}")
        }
    }

    private func batch(_ request: Request, _ context: FloeRequestContext) async throws -> Response {
        let body = try await RequestBody.json(request, limit: limits.maxBatchBytes)
        let count = try await ingestor.segmentBatch(body, request: ingestContext(context))
        return JSONResponse.ok("{\"success\":true,\"count\":\(count)}")
    }

    private func ingestContext(_ context: FloeRequestContext) -> IngestContext {
        IngestContext(receivedAt: FlushCoordinator.nowMicros(), clientIP: context.clientIP)
    }
}

/// Body size limits, in bytes.
struct RequestLimits: Sendable {
    /// `/v1/batch`, `/v1/import`, `/events/batch`. Default 1 MiB (a 1,000-event SDK batch fits).
    var maxBatchBytes = 1 << 20
    /// Single-event endpoints. Default 32 KiB.
    var maxEventBytes = 32 << 10
}

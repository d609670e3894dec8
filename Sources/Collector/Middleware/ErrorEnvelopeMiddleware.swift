import Hummingbird
import Logging

/// Renders errors that did not come from Floe's own code (unknown route; a wrong method on a known path,
/// answered 405 with `Allow` from ``RouteMethods``; body limits enforced by Hummingbird) in Floe's JSON
/// error envelope, and logs
/// failed requests with their request id (`hb.request.id`): 5xx at warning, 4xx and a probe's 503 at debug. The
/// message is the error's fixed phrase; bodies are never logged. Refusals at capacity (503/507
/// with ``APIError/refusal``) go to ``RefusalLog`` instead: counted, and logged once a second.
struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    var refusals: RefusalLog?
    /// What tells a wrong method (405) from an unknown path (404).
    var routeMethods: RouteMethods?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            if let reason = error.refusal, let refusals {
                refusals.refused(reason)
            } else {
                log(error, request, context)
            }
            throw error
        } catch let error as any HTTPResponseError {
            var converted = APIError(status: error.status, message: error.status.reasonPhrase)
            if error.status == .notFound {
                converted.message = "no such endpoint: \(request.method.rawValue) \(request.uri.path)"
                if let allowed = routeMethods?.methods(on: request.uri.path), !allowed.isEmpty, !allowed.contains(request.method) {
                    converted = APIError(status: .methodNotAllowed, message: "method \(request.method.rawValue) is not "
                                         + "allowed on \(request.uri.path); allowed: \(allowed.map(\.rawValue).joined(separator: ", "))")
                    converted.allow = allowed
                }
            }
            log(converted, request, context)
            throw converted
        } catch {
            context.logger.error("request failed", metadata: ["http.route": "\(context.endpointPath ?? request.uri.path)",
                                                              "error.type": "\(type(of: error))"])
            throw APIError(status: .internalServerError, message: "internal error")
        }
    }

    private func log(_ error: APIError, _ request: Request, _ context: Context) {
        let metadata: Logger.Metadata = [
            "http.route": "\(context.endpointPath ?? request.uri.path)", "http.status": "\(error.status.code)",
            "error.message": "\(error.message.prefix(200))",
        ]
        if error.status.code >= 500 && !error.isProbeAnswer {
            context.logger.warning("request failed", metadata: metadata)
        } else {
            context.logger.debug("request rejected", metadata: metadata)
        }
    }
}

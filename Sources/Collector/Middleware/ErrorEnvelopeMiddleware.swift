import Hummingbird

/// Renders errors that did not come from Floe's own code (unknown route, wrong method, body
/// limits enforced by Hummingbird) in Floe's JSON error envelope, with the same status.
struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            let message: String
            switch error.status {
            case .notFound: message = "no such endpoint: \(request.method.rawValue) \(request.uri.path)"
            case .methodNotAllowed: message = "method \(request.method.rawValue) is not allowed on \(request.uri.path)"
            default: message = error.status.reasonPhrase
            }
            throw APIError(status: error.status, message: message)
        }
    }
}

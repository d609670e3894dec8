import Hummingbird

/// Answers CORS preflights and adds CORS headers, so browser SDKs (analytics.js, rudder-sdk-js) can send.
///
/// `allowedOrigins` comes from `ALLOWED_ORIGINS` (comma-separated, or `*`); empty disables CORS.
/// An allowed origin is echoed back with `Access-Control-Allow-Credentials: true`; with `*` every
/// origin is allowed that way, because a browser refuses a literal `*` to a request sent with
/// credentials (`fetch(..., {credentials: "include"})`, cookies, `Authorization`). Every answer
/// carries `Vary: Origin` while CORS is on, so that a cache never hands one origin's answer to
/// another. Errors thrown by handlers get the headers too, so a browser can read the 4xx body.
struct FloeCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !allowedOrigins.isEmpty else { return try await next(request, context) }
        guard let origin = request.headers.value(.origin), let allowed = allow(origin) else {
            return try await respond(request, context, next, headers: [.vary: "Origin"])
        }
        if request.method == .options, request.headers.value(.accessControlRequestMethod) != nil {
            var headers = corsHeaders(allowed)
            headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders]
                ?? "Content-Type, Authorization, X-API-Key, Content-Encoding"
            headers[.accessControlMaxAge] = "86400"
            return Response(status: .noContent, headers: headers)
        }
        return try await respond(request, context, next, headers: corsHeaders(allowed))
    }

    /// The handler's answer (or its error's), with `headers` added.
    private func respond(_ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response,
                         headers: HTTPFields) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: headers)
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers.append(contentsOf: headers)
            return response
        }
    }

    private func allow(_ origin: String) -> String? {
        allowedOrigins.contains("*") || allowedOrigins.contains(origin) ? origin : nil
    }

    private func corsHeaders(_ origin: String) -> HTTPFields {
        [.accessControlAllowOrigin: origin, .vary: "Origin", .accessControlAllowCredentials: "true"]
    }
}

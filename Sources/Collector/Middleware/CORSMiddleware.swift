import Hummingbird

/// Answers CORS preflights and adds CORS headers, so browser SDKs (analytics.js, rudder-sdk-js) can send.
///
/// `allowedOrigins` comes from `ALLOWED_ORIGINS` (comma-separated, or `*`); empty disables CORS.
/// Errors thrown by handlers get the headers too, so a browser can read the 4xx body.
struct FloeCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !allowedOrigins.isEmpty, let origin = request.headers[.origin], let allowed = allow(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = corsHeaders(allowed)
            headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders]
                ?? "Content-Type, Authorization, X-API-Key, Content-Encoding"
            headers[.accessControlMaxAge] = "86400"
            return Response(status: .noContent, headers: headers)
        }
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: corsHeaders(allowed))
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers.append(contentsOf: corsHeaders(allowed))
            return response
        }
    }

    private func allow(_ origin: String) -> String? {
        if allowedOrigins.contains("*") { return "*" }
        return allowedOrigins.contains(origin) ? origin : nil
    }

    private func corsHeaders(_ origin: String) -> HTTPFields {
        var headers: HTTPFields = [.accessControlAllowOrigin: origin]
        if origin != "*" {
            headers[.vary] = "Origin"
            headers[.accessControlAllowCredentials] = "true"
        }
        return headers
    }
}

import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// The methods each of Floe's routes answers, so that a request with another method on a known path gets
/// 405 with an `Allow` header (RFC 9110 §15.5.6) instead of Hummingbird's 404, which does not tell the two
/// apart. Filled once the router holds every route (``FloeServer/makeRouter``); read only for requests no
/// route took.
final class RouteMethods: Sendable {
    private let routes = NIOLockedValueBox<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    /// Takes every route `router` holds now.
    func record(_ router: Router<some RequestContext>) {
        let described = router.routes.map { (path: $0.path, method: $0.method) }
        routes.withLockedValue { $0 = described }
    }

    /// The methods routes on `path` answer, in a stable order; empty when no route has this path.
    func methods(on path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        let matching = routes.withLockedValue { routes in
            routes.filter { route in
                route.path.components.count == segments.count
                    && zip(route.path.components, segments).allSatisfy { element, segment in element ~= segment }
            }
        }
        var methods = Set(matching.map(\.method.rawValue))
        if methods.contains("GET") { methods.insert("HEAD") }  // the router answers HEAD wherever it answers GET
        return methods.sorted().compactMap { HTTPRequest.Method($0) }
    }
}

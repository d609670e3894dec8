
/// What `GET /v1/config` settled for a ``RESTCatalog``: the merged properties (server defaults, then client
/// properties, then server overrides), the routes' prefix, and whether mutations take idempotency keys.
struct RESTServerConfig: Sendable, Hashable {
    /// The merged catalog properties.
    var properties: [String: String]
    /// The routes, with `prefix` and `namespace-separator` applied.
    var paths: RESTPaths
    /// How long an idempotency key may be reused; nil when the server does not advertise idempotency.
    var idempotencyLifetime: Duration?
    /// The endpoints the server lists (`"POST /v1/{prefix}/namespaces"`); nil when it lists none (all standard ones).
    var endpoints: Set<String>?

    init(_ wire: RESTWire.CatalogConfig, configuration: RESTCatalog.Configuration) {
        var properties = wire.defaults ?? [:]
        properties.merge(configuration.properties) { _, client in client }
        properties.merge(wire.overrides ?? [:]) { _, override in override }
        self.properties = properties
        var paths = RESTPaths(base: configuration.uri, prefix: properties["prefix"])
        if let separator = properties["namespace-separator"]?.removingPercentEncoding, !separator.isEmpty {
            paths.namespaceSeparator = separator
        }
        self.paths = paths
        if configuration.useIdempotencyKeys, let lifetime = wire.idempotencyKeyLifetime {
            idempotencyLifetime = IdempotencyKey.lifetime(parsing: lifetime) ?? IdempotencyKey.fallbackLifetime
        } else {
            idempotencyLifetime = nil
        }
        endpoints = wire.endpoints.map(Set.init)
    }

    /// Whether the server supports `endpoint` (`"HEAD /v1/{prefix}/namespaces/{namespace}"`).
    func supports(_ endpoint: String) -> Bool { endpoints?.contains(endpoint) ?? true }
}

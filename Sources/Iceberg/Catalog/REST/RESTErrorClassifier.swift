import Foundation

/// Turns a failed REST catalog exchange into a ``CatalogError`` the commit machinery can act on, per the spec's
/// responses: 409 on commit is a conflict, 5xx and lost exchanges on commit leave the state unknown, 404 names
/// the missing table or namespace, 409 on create means it exists, 401/403/419 are authorisation failures, and
/// any other 4xx is fatal with the server's message.
enum RESTErrorClassifier {
    /// The catalog operation a request performs, deciding how its failures read.
    enum Operation: String, Sendable, Hashable {
        case config, listNamespaces, loadNamespace, createNamespace, listTables, loadTable, createTable, dropTable, commit

        var isTableOperation: Bool { [.loadTable, .dropTable, .commit].contains(self) }
        var isCreate: Bool { self == .createNamespace || self == .createTable }
    }

    /// Whether a response with `status` may be retried: throttling and the server errors the spec lists.
    static func isTransient(status: Int) -> Bool {
        status == 429 || status == 500 || status == 502 || status == 503 || status == 504
    }

    /// The error for an HTTP response that ended the request.
    static func classify(status: Int, body: [UInt8], operation: Operation, context: [String: String]) -> CatalogError {
        var context = context
        context["http_status"] = String(status)
        context["operation"] = operation.rawValue
        let model = (try? JSONDecoder().decode(RESTWire.ErrorResponse.self, from: Data(body)))?.error
        if let type = model?.type { context["server_type"] = type }
        if let message = model?.message { context["server_message"] = String(message.prefix(500)) }
        let type = model?.type ?? ""
        switch status {
        case 401, 403, 419:
            return CatalogError(.unauthorized, "the catalog refused the credentials", context: context)
        case 404:
            if type.contains("NoSuchNamespace") {
                return CatalogError(.noSuchNamespace, "namespace does not exist", context: context)
            }
            if type.contains("NoSuchTable") || operation.isTableOperation {
                return CatalogError(.noSuchTable, "table does not exist", context: context)
            }
            if operation == .config {
                return CatalogError(.rejected, "the catalog does not know the warehouse", context: context)
            }
            return CatalogError(.noSuchNamespace, "namespace does not exist", context: context)
        case 409 where operation == .commit:
            return CatalogError(.conflict, "the catalog rejected the commit's requirements", context: context)
        case 409 where operation.isCreate:
            return CatalogError(.alreadyExists, operation == .createTable ? "table already exists" : "namespace already exists",
                                context: context)
        case _ where operation == .commit && (status >= 500 || status == 429):
            return CatalogError(.commitStateUnknown, "the catalog failed during the commit; it may have been applied",
                                context: context)
        case _ where status >= 500 || status == 429:
            return CatalogError(.unavailable, "the catalog kept failing", context: context)
        default:
            return CatalogError(.rejected, "the catalog rejected the request", context: context)
        }
    }

    /// The error for an exchange that got no response after the retries allowed.
    static func classify(_ error: RESTTransportError, operation: Operation, context: [String: String]) -> CatalogError {
        var context = context
        context["operation"] = operation.rawValue
        if operation == .commit {
            return CatalogError(.commitStateUnknown, "the commit request got no answer; it may have been applied",
                                context: context, underlying: error)
        }
        return CatalogError(.unavailable, "the catalog could not be reached", context: context, underlying: error)
    }
}

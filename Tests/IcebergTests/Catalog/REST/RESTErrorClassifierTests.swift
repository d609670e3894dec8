#if canImport(IcebergREST)
@testable import Iceberg
#endif
@testable import Iceberg
import Testing

@Suite("REST error classification")
struct RESTErrorClassifierTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var status: Int
        var type: String
        var operation: RESTErrorClassifier.Operation
        var expected: CatalogError.Code
        var testDescription: String { "\(status) \(type) on \(operation) → \(expected)" }
    }

    @Test("responses map to the codes the commit machinery acts on", arguments: [
        Case(status: 409, type: "CommitFailedException", operation: .commit, expected: .conflict),
        Case(status: 500, type: "CommitStateUnknownException", operation: .commit, expected: .commitStateUnknown),
        Case(status: 502, type: "", operation: .commit, expected: .commitStateUnknown),
        Case(status: 503, type: "ServiceUnavailableException", operation: .commit, expected: .commitStateUnknown),
        Case(status: 504, type: "", operation: .commit, expected: .commitStateUnknown),
        Case(status: 404, type: "NoSuchTableException", operation: .loadTable, expected: .noSuchTable),
        Case(status: 404, type: "NoSuchTableException", operation: .commit, expected: .noSuchTable),
        Case(status: 404, type: "NoSuchNamespaceException", operation: .createTable, expected: .noSuchNamespace),
        Case(status: 404, type: "NoSuchNamespaceException", operation: .listTables, expected: .noSuchNamespace),
        Case(status: 404, type: "", operation: .loadNamespace, expected: .noSuchNamespace),
        Case(status: 409, type: "AlreadyExistsException", operation: .createTable, expected: .alreadyExists),
        Case(status: 409, type: "AlreadyExistsException", operation: .createNamespace, expected: .alreadyExists),
        Case(status: 401, type: "NotAuthorizedException", operation: .loadTable, expected: .unauthorized),
        Case(status: 403, type: "ForbiddenException", operation: .commit, expected: .unauthorized),
        Case(status: 419, type: "", operation: .config, expected: .unauthorized),
        Case(status: 400, type: "BadRequestException", operation: .commit, expected: .rejected),
        Case(status: 406, type: "UnsupportedOperationException", operation: .createTable, expected: .rejected),
        Case(status: 503, type: "", operation: .loadTable, expected: .unavailable),
    ])
    func responses(_ test: Case) {
        let error = RESTErrorClassifier.classify(status: test.status, body: Array(RESTFixtures.error(test.status, test.type).utf8),
                                                 operation: test.operation, context: ["table": "a.b"])
        #expect(error.code == test.expected)
        #expect(error.context["http_status"] == String(test.status))
        #expect(error.context["table"] == "a.b")
    }

    @Test("the server's message is kept for fatal errors")
    func serverMessage() {
        let error = RESTErrorClassifier.classify(status: 400, body: Array(RESTFixtures.error(400, "BadRequestException",
                                                                                            "unknown update").utf8),
                                                 operation: .commit, context: [:])
        #expect(error.context["server_message"] == "unknown update")
        #expect(error.context["server_type"] == "BadRequestException")
    }

    @Test("a lost exchange on commit leaves the state unknown; elsewhere the catalog is unavailable", arguments: [
        (RESTTransportError.Kind.maybeSent, RESTErrorClassifier.Operation.commit, CatalogError.Code.commitStateUnknown),
        (.notSent, .commit, .commitStateUnknown),
        (.maybeSent, .loadTable, .unavailable),
        (.notSent, .createTable, .unavailable),
    ])
    func transport(kind: RESTTransportError.Kind, operation: RESTErrorClassifier.Operation, expected: CatalogError.Code) {
        #expect(RESTErrorClassifier.classify(RESTTransportError(kind, "x"), operation: operation, context: [:]).code == expected)
    }
}

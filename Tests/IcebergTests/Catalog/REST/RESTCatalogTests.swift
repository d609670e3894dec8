#if canImport(IcebergREST)
@testable import Iceberg
#endif
@testable import Iceberg
import Logging
import Testing

@Suite("RESTCatalog")
struct RESTCatalogTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let table = RESTFixtures.table
    let commitPath = "/v1/ws/namespaces/analytics/tables/events"

    func catalog(_ transport: ScriptedTransport, _ authentication: RESTCatalog.Authentication = .none) -> RESTCatalog {
        RESTCatalog(configuration: RESTFixtures.configuration(authentication), transport: transport, logger: logger)
    }

    func commit(_ catalog: RESTCatalog) async throws -> Table {
        try await catalog.commit(table, requirements: [.assertRefSnapshotID(ref: "main", snapshotId: nil)], updates: [])
    }

    func code(_ body: () async throws -> Void) async -> CatalogError.Code? {
        do {
            try await body()
            return nil
        } catch let error as CatalogError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test("load uses the config prefix, asks for vended credentials and exposes them")
    func load() async throws {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.json(200, RESTFixtures.config)]),
            ("GET", commitPath, [.json(200, RESTFixtures.loadResult(
                config: #"{"s3.access-key-id": "AK", "s3.secret-access-key": "SK"}"#,
                credentials: #"[{"prefix": "s3://b/w/", "config": {"s3.access-key-id": "AK2"}}]"#))]),
        ])
        let loaded = try await catalog(transport, .bearer("tok-123")).loadTable(table)
        #expect(loaded.metadata.location == "s3://b/w/events")
        #expect(loaded.config["s3.secret-access-key"] == "SK")
        #expect(loaded.storageConfig(for: loaded.metadata.location)["s3.access-key-id"] == "AK2")
        #expect(!loaded.description.contains("SK"), "table descriptions leave secrets out")
        let request = try #require(transport.requests("GET", commitPath).first)
        #expect(request.header("X-Iceberg-Access-Delegation") == "vended-credentials")
        #expect(request.header("Authorization") == "Bearer tok-123")
        #expect(transport.requests.first?.url == "https://catalog.example/acct/bucket/v1/config?warehouse=acct_bucket")
    }

    @Test("the configuration's description never shows the token or secret")
    func redaction() {
        let bearer = RESTCatalog.Configuration.r2(uri: "https://c/a/b", warehouse: "a_b", token: "very-secret")
        #expect(!bearer.description.contains("very-secret"))
        let oauth = RESTCatalog.Configuration(uri: "https://c", authentication: .oauth2(.init(credential: "id:hush")))
        #expect(!oauth.description.contains("hush") && oauth.description.contains("id"))
    }

    @Test("a 409 commit is a conflict and is not retried")
    func conflict() async {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.json(200, RESTFixtures.config)]),
            ("POST", commitPath, [.json(409, RESTFixtures.error(409, "CommitFailedException"))]),
        ])
        #expect(await code { _ = try await commit(catalog(transport)) } == .conflict)
        #expect(transport.requests("POST", commitPath).count == 1)
    }

    @Test("without idempotency a 5xx or lost answer on commit is unknown at once", arguments: [
        ScriptedTransport.Reply.json(503, RESTFixtures.error(503, "ServiceUnavailableException")),
        .json(500, RESTFixtures.error(500, "CommitStateUnknownException")), .status(504), .fail(.maybeSent),
    ])
    func unknown(reply: ScriptedTransport.Reply) async {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.json(200, RESTFixtures.config)]),
            ("POST", commitPath, [reply, .json(200, RESTFixtures.commitResult())]),
        ])
        #expect(await code { _ = try await commit(catalog(transport)) } == .commitStateUnknown)
        #expect(transport.requests("POST", commitPath).count == 1, "a commit that may have applied is never resent")
        #expect(transport.requests("POST", commitPath).first?.header("Idempotency-Key") == nil)
    }

    @Test("a commit that never reached the server is resent")
    func notSent() async throws {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.json(200, RESTFixtures.config)]),
            ("POST", commitPath, [.fail(.notSent), .json(200, RESTFixtures.commitResult())]),
        ])
        let committed = try await commit(catalog(transport))
        #expect(committed.metadata.currentSnapshotId == 7)
        #expect(transport.requests("POST", commitPath).count == 2)
    }

    @Test("with idempotency a commit is retried with the same key")
    func idempotentRetry() async throws {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.json(200, RESTFixtures.idempotentConfig)]),
            ("POST", commitPath, [.status(503), .fail(.maybeSent), .json(200, RESTFixtures.commitResult())]),
        ])
        let catalog = catalog(transport)
        _ = try await commit(catalog)
        let keys = transport.requests("POST", commitPath).compactMap { $0.header("Idempotency-Key") }
        #expect(keys.count == 3 && Set(keys).count == 1)
        _ = await code { _ = try await commit(catalog) }
        let next = transport.requests("POST", commitPath).last?.header("Idempotency-Key")
        #expect(next != nil && next != keys.first, "a new operation gets a new key")
    }

    @Test("with idempotency a commit that keeps failing ends unknown after the attempts allowed")
    func idempotentExhausted() async {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.json(200, RESTFixtures.idempotentConfig)]),
            ("POST", commitPath, Array(repeating: .status(502), count: 10)),
        ])
        #expect(await code { _ = try await commit(catalog(transport)) } == .commitStateUnknown)
        #expect(transport.requests("POST", commitPath).count == RESTCatalog.Retry.defaultMaxAttempts)
    }

    @Test("reads retry transient failures with backoff")
    func readRetry() async throws {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.status(503), .fail(.maybeSent), .json(200, RESTFixtures.config)]),
            ("GET", commitPath, [.status(502), .json(200, RESTFixtures.loadResult())]),
        ])
        _ = try await catalog(transport).loadTable(table)
        #expect(transport.requests.count == 5)
    }

    @Test("reads give up as unavailable after the attempts allowed")
    func readExhausted() async {
        let transport = ScriptedTransport([("GET", "/v1/config", Array(repeating: .status(503), count: 10))])
        #expect(await code { _ = try await catalog(transport).loadTable(table) } == .unavailable)
        #expect(transport.requests.count == RESTCatalog.Retry.defaultMaxAttempts)
    }

    @Test("load, create and namespace failures are classified")
    func classified() async {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.json(200, RESTFixtures.config)]),
            ("GET", commitPath, [.json(404, RESTFixtures.error(404, "NoSuchTableException")), .status(401)]),
            ("POST", "/namespaces/analytics/tables", [.json(409, RESTFixtures.error(409, "AlreadyExistsException")),
                                                      .json(400, RESTFixtures.error(400, "BadRequestException"))]),
        ])
        let catalog = catalog(transport, .bearer("t"))
        #expect(await code { _ = try await catalog.loadTable(table) } == .noSuchTable)
        #expect(await code { _ = try await catalog.loadTable(table) } == .unauthorized)
        let create = { _ = try await catalog.createTable(table, schema: Schema(fields: []), partitionSpec: .unpartitioned, properties: [:]) }
        #expect(await code(create) == .alreadyExists)
        #expect(await code(create) == .rejected)
    }

    @Test("a missing namespace is created; an existing one is left alone")
    func namespaces() async throws {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.json(200, RESTFixtures.config)]),
            ("GET", "/namespaces/analytics", [.json(404, RESTFixtures.error(404, "NoSuchNamespaceException")),
                                              .json(200, #"{"namespace": ["analytics"], "properties": {}}"#)]),
            ("POST", "/v1/ws/namespaces", [.json(200, #"{"namespace": ["analytics"]}"#)]),
        ])
        let catalog = catalog(transport)
        try await catalog.createNamespaceIfNeeded(["analytics"])
        try await catalog.createNamespaceIfNeeded(["analytics"])
        #expect(transport.requests("POST", "/v1/ws/namespaces").count == 1)
        let body = String(decoding: transport.requests("POST", "/v1/ws/namespaces").first?.body ?? [], as: UTF8.self)
        #expect(body == #"{"namespace":["analytics"],"properties":{}}"#)
    }

    @Test("listing follows page tokens")
    func paging() async throws {
        let transport = ScriptedTransport([
            ("GET", "/v1/config", [.json(200, RESTFixtures.config)]),
            ("GET", "/namespaces/analytics/tables", [
                .json(200, #"{"identifiers": [{"namespace": ["analytics"], "name": "a"}], "next-page-token": "p2"}"#),
                .json(200, #"{"identifiers": [{"namespace": ["analytics"], "name": "b"}], "next-page-token": null}"#),
            ]),
        ])
        #expect(try await catalog(transport).listTables(["analytics"]).map(\.name) == ["a", "b"])
        #expect(transport.requests.last?.url.hasSuffix("tables?pageToken=p2") == true)
    }
}

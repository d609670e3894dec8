#if canImport(IcebergREST)
@testable import Iceberg
#endif
@testable import Iceberg
import Logging
import Synchronization
import Testing

@Suite("OAuth2TokenProvider")
struct OAuth2TokenProviderTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func token(_ value: String, expiresIn: Int = 3600) -> ScriptedTransport.Reply {
        .json(200, #"{"access_token": "\#(value)", "token_type": "bearer", "expires_in": \#(expiresIn)}"#)
    }

    @Test("client credentials are form-encoded with the scope and the token is reused")
    func exchange() async throws {
        let transport = ScriptedTransport([
            ("POST", "/v1/oauth/tokens", [Self.token("t1")]),
            ("GET", "/v1/config", [.json(200, RESTFixtures.config)]),
            ("GET", "/tables/events", [.json(200, RESTFixtures.loadResult()), .json(200, RESTFixtures.loadResult())]),
        ])
        let catalog = RESTCatalog(configuration: RESTFixtures.configuration(.oauth2(.init(clientId: "floe", clientSecret: "s e&c"))),
                                  transport: transport, logger: logger)
        _ = try await catalog.loadTable(RESTFixtures.table)
        _ = try await catalog.loadTable(RESTFixtures.table)
        let exchanges = transport.requests("POST", "/v1/oauth/tokens")
        #expect(exchanges.count == 1)
        #expect(exchanges.first?.url == "https://catalog.example/acct/bucket/v1/oauth/tokens")
        #expect(exchanges.first?.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(String(decoding: exchanges.first?.body ?? [], as: UTF8.self)
            == "grant_type=client_credentials&client_id=floe&client_secret=s%20e%26c&scope=PRINCIPAL_ROLE%3AALL")
        #expect(transport.requests("GET", "/tables/events").allSatisfy { $0.header("Authorization") == "Bearer t1" })
    }

    @Test("a 401 fetches a new token once and repeats the request")
    func renewOn401() async throws {
        let transport = ScriptedTransport([
            ("POST", "/v1/oauth/tokens", [Self.token("old"), Self.token("new")]),
            ("GET", "/v1/config", [.json(200, RESTFixtures.config)]),
            ("GET", "/tables/events", [.status(401), .json(200, RESTFixtures.loadResult())]),
        ])
        let catalog = RESTCatalog(configuration: RESTFixtures.configuration(.oauth2(.init(clientId: "c", clientSecret: "s"))),
                                  transport: transport, logger: logger)
        _ = try await catalog.loadTable(RESTFixtures.table)
        #expect(transport.requests("GET", "/tables/events").map { $0.header("Authorization") } == ["Bearer old", "Bearer new"])
    }

    /// A clock the test moves: the start of the test plus an offset.
    final class TestClock: Sendable {
        let start = ContinuousClock.now
        private let offset = Mutex(Duration.zero)

        func set(_ value: Duration) { offset.withLock { $0 = value } }
        var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
    }

    /// A provider (client `c`, secret `s`) whose token endpoint answers `replies`, on `clock`.
    static func provider(_ replies: [ScriptedTransport.Reply], clock: TestClock) -> OAuth2TokenProvider {
        OAuth2TokenProvider(credential: .init(clientId: "c", clientSecret: "s"), endpoint: "https://c/tokens",
                            transport: ScriptedTransport([("POST", "/tokens", replies)]), timeout: .seconds(5),
                            now: { clock.now })
    }

    @Test("a token is replaced shortly before it expires")
    func refreshBeforeExpiry() async throws {
        let clock = TestClock()
        let provider = Self.provider([Self.token("a", expiresIn: 300), Self.token("b", expiresIn: 300)], clock: clock)
        #expect(try await provider.accessToken() == "a")
        clock.set(.seconds(200))
        #expect(try await provider.accessToken() == "a")
        clock.set(.seconds(241))
        #expect(try await provider.accessToken() == "b", "renewed 60 s before expiry")
        #expect(await provider.fetches == 2)
    }

    @Test("when the early refresh fails, the cached token is used until it expires, and the refresh is retried")
    func failedRefreshKeepsToken() async throws {
        let clock = TestClock()
        let provider = Self.provider([Self.token("a", expiresIn: 120), .status(503), .status(503),
                                      Self.token("b", expiresIn: 120)], clock: clock)
        #expect(try await provider.accessToken() == "a")
        clock.set(.seconds(70))
        #expect(try await provider.accessToken() == "a", "the endpoint failed; the token is valid for 50 s more")
        #expect(try await provider.accessToken() == "a", "not asked again within 5 s")
        #expect(await provider.fetches == 2)
        clock.set(.seconds(76))
        #expect(try await provider.accessToken() == "a")
        clock.set(.seconds(82))
        #expect(try await provider.accessToken() == "b")
        #expect(await provider.fetches == 4)
        // Past its expiry a failed fetch is an error, not the old token.
        let expiringClock = TestClock()
        let expiring = Self.provider([Self.token("z", expiresIn: 10), .status(503)], clock: expiringClock)
        #expect(try await expiring.accessToken() == "z")
        expiringClock.set(.seconds(11))
        await #expect(throws: RESTTransportError.self) { _ = try await expiring.accessToken() }
    }

    @Test("concurrent callers share one exchange")
    func sharedFetch() async throws {
        let provider = Self.provider([Self.token("x")], clock: TestClock())
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await provider.accessToken() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(tokens == Array(repeating: "x", count: 8))
        #expect(await provider.fetches == 1)
    }

    /// A token endpoint that answers only once ``release()`` is called.
    final class GatedTokenEndpoint: RESTTransport {
        private let gate = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

        func release() {
            let waiting = gate.withLock { gate in
                gate.open = true
                defer { gate.waiting = [] }
                return gate.waiting
            }
            for waiter in waiting { waiter.resume() }
        }

        func send(_ request: RESTRequest, timeout: Duration) async throws -> RESTResponse {
            await withCheckedContinuation { continuation in
                let open = gate.withLock { gate in
                    if !gate.open { gate.waiting.append(continuation) }
                    return gate.open
                }
                if open { continuation.resume() }
            }
            return RESTResponse(status: 200, body: Array(#"{"access_token": "x", "token_type": "bearer", "expires_in": 3600}"#.utf8))
        }
    }

    @Test("a cancelled caller stops waiting at once; the callers sharing its fetch still get the token")
    func cancelledCaller() async throws {
        let endpoint = GatedTokenEndpoint()
        let provider = OAuth2TokenProvider(credential: .init(clientId: "c", clientSecret: "s"), endpoint: "https://c/tokens",
                                           transport: endpoint, timeout: .seconds(5))
        let first = Task { try await provider.accessToken() }
        try await Task.sleep(for: .milliseconds(50))
        let second = Task { try await provider.accessToken() }
        try await Task.sleep(for: .milliseconds(50))
        first.cancel()
        // The endpoint answers later whatever happens, so a caller that waited for it would get the token.
        let release = Task {
            try await Task.sleep(for: .milliseconds(300))
            endpoint.release()
        }
        await #expect(throws: CancellationError.self) { _ = try await first.value }
        #expect(try await second.value == "x")
        #expect(await provider.fetches == 1)
        try await release.value
    }

    @Test("refused credentials are an authorisation error naming no secret")
    func refused() async {
        let transport = ScriptedTransport([("POST", "/tokens", [.json(401, #"{"error": "invalid_client"}"#)])])
        let provider = OAuth2TokenProvider(credential: .init(clientId: "c", clientSecret: "hush"), endpoint: "https://c/tokens",
                                           transport: transport, timeout: .seconds(5))
        do {
            _ = try await provider.accessToken()
            Issue.record("expected an error")
        } catch let error as CatalogError {
            #expect(error.code == .unauthorized)
            #expect(error.context["oauth_error"] == "invalid_client")
            #expect(!error.description.contains("hush"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

import Foundation

/// Exchanges OAuth2 client credentials for bearer tokens (`POST /v1/oauth/tokens`, form-encoded
/// `grant_type=client_credentials`) and caches the token, fetching a new one shortly before it expires or after
/// the catalog rejected it. Concurrent callers share one fetch. When that early fetch fails, the cached token
/// is still valid: it is used until it expires, and the fetch is tried again ``retryAfterFailure`` later.
///
/// Errors: ``CatalogError`` `unauthorized` when the token endpoint refuses the credentials (HTTP 4xx);
/// ``RESTTransportError`` `notSent` when it cannot be reached or fails with 5xx (the catalog request was not
/// sent, so the caller may retry).
actor OAuth2TokenProvider {
    /// How long before its expiry a token is replaced: 60 s, or half the lifetime of shorter-lived tokens.
    static let defaultRefreshMargin: Duration = .seconds(60)
    /// How long a still-valid token is used after a failed early fetch before the next one is tried.
    static let retryAfterFailure: Duration = .seconds(5)

    private struct Token {
        var value: String
        /// When to fetch a new one; nil for tokens without `expires_in`.
        var refreshAt: ContinuousClock.Instant?
        /// When it stops being valid; nil for tokens without `expires_in`.
        var expiresAt: ContinuousClock.Instant?
    }

    let credential: RESTCatalog.OAuth2Credential
    let endpoint: String
    private let transport: any RESTTransport
    private let timeout: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private var token: Token?
    private var fetching = false
    /// Callers waiting for the fetch under way, by a number of their own (so that a cancelled one leaves alone).
    private var waiters: [UInt64: CheckedContinuation<String, any Error>] = [:]
    private var nextWaiter: UInt64 = 0
    /// Tokens fetched so far (for tests and metrics).
    private(set) var fetches = 0

    init(credential: RESTCatalog.OAuth2Credential, endpoint: String, transport: any RESTTransport, timeout: Duration,
         now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.credential = credential
        self.endpoint = endpoint
        self.transport = transport
        self.timeout = timeout
        self.now = now
    }

    /// A token valid for a while yet, fetched if needed.
    ///
    /// The fetch runs apart from its callers: one that is cancelled stops waiting at once (`CancellationError`),
    /// and the others still get the token.
    func accessToken() async throws -> String {
        if let token, token.refreshAt.map({ now() < $0 }) ?? true { return token.value }
        if !fetching {
            fetching = true
            Task {
                let result: Result<Token, any Error>
                do {
                    result = .success(try await fetch())
                } catch {
                    result = .failure(error)
                }
                finish(result)
            }
        }
        let id = nextWaiter
        nextWaiter += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.stopWaiting(id) }
        }
    }

    private func stopWaiting(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.resume(throwing: CancellationError())
    }

    /// Hands the fetch's outcome to every caller waiting: the fresh token; after a failure, the cached token while it
    /// is still valid (tried again ``retryAfterFailure`` later), else the error.
    private func finish(_ result: Result<Token, any Error>) {
        fetching = false
        let waiting = waiters.values
        waiters = [:]
        switch result {
        case .success(let fresh):
            token = fresh
            for waiter in waiting { waiter.resume(returning: fresh.value) }
        case .failure(let error):
            let current = now()
            if var kept = token, let expiresAt = kept.expiresAt, current < expiresAt {
                kept.refreshAt = min(expiresAt, current + Self.retryAfterFailure)
                token = kept
                for waiter in waiting { waiter.resume(returning: kept.value) }
            } else {
                for waiter in waiting { waiter.resume(throwing: error) }
            }
        }
    }

    /// Forgets `value` if it is the cached token (the catalog answered 401 to it), so the next call fetches anew.
    func invalidate(_ value: String) {
        if token?.value == value { token = nil }
    }

    private func fetch() async throws -> Token {
        fetches += 1
        var fields = [("grant_type", "client_credentials")]
        if !credential.clientId.isEmpty { fields.append(("client_id", credential.clientId)) }
        fields.append(("client_secret", credential.clientSecret))
        if !credential.scope.isEmpty { fields.append(("scope", credential.scope)) }
        let request = RESTRequest(method: "POST", url: endpoint, headers: [
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
        ], body: RESTPaths.form(fields))
        let started = now()
        let response: RESTResponse
        do {
            response = try await transport.send(request, timeout: timeout)
        } catch let error as RESTTransportError {
            throw RESTTransportError(.notSent, "the OAuth2 token endpoint failed: \(error.message)")
        }
        guard (200..<300).contains(response.status) else {
            if response.status >= 500 || response.status == 429 {
                throw RESTTransportError(.notSent, "the OAuth2 token endpoint answered HTTP \(response.status)")
            }
            var context = ["http_status": String(response.status)]
            if let error = try? JSONDecoder().decode(RESTWire.OAuthError.self, from: Data(response.body)) {
                context["oauth_error"] = error.error
            }
            throw CatalogError(.unauthorized, "the OAuth2 token endpoint refused the client credentials", context: context)
        }
        let decoded: RESTWire.OAuthTokenResponse
        do {
            decoded = try JSONDecoder().decode(RESTWire.OAuthTokenResponse.self, from: Data(response.body))
        } catch {
            throw CatalogError(.unauthorized, "the OAuth2 token response is not valid JSON")
        }
        let lifetime = decoded.expiresIn.map { Duration.seconds($0) }
        let refreshAt = lifetime.map { started + $0 - min(Self.defaultRefreshMargin, $0 / 2) }
        return Token(value: decoded.accessToken, refreshAt: refreshAt, expiresAt: lifetime.map { started + $0 })
    }
}

import Foundation
import Logging

extension RESTCatalog {
    /// One logical catalog request; ``send(_:)`` may transmit it several times.
    struct Call: Sendable {
        var operation: RESTErrorClassifier.Operation
        var method: String
        var url: String
        var body: [UInt8] = []
        /// Sends `X-Iceberg-Access-Delegation` (load and create table).
        var delegatesAccess = false
        /// Key/value details for errors and logs (table, namespace); never secrets.
        var context: [String: String] = [:]

        var isMutation: Bool { method != "GET" && method != "HEAD" }
    }

    /// How an attempt failed.
    private enum Failure {
        case response(RESTResponse)
        case transport(RESTTransportError)
    }

    /// Sends `call` and returns its 2xx response, retrying what is safe to repeat.
    ///
    /// Reads retry 429, 500/502/503/504 and lost exchanges; every request retries exchanges that never reached
    /// the server; a mutation carrying an `Idempotency-Key` (the server advertised `idempotency-key-lifetime`)
    /// retries like a read with the same key, within the key's lifetime. A 401/419 under OAuth2 fetches a new
    /// token once. Backoff is jittered exponential (``Configuration/retry``).
    /// - Throws: ``CatalogError`` classified by ``RESTErrorClassifier``.
    func send(_ call: Call, server: RESTServerConfig?) async throws -> RESTResponse {
        let clock = ContinuousClock()
        let idempotencyKey = call.isMutation && server?.idempotencyLifetime != nil ? IdempotencyKey.make() : nil
        let timeout = call.isMutation ? configuration.timeouts.mutation : configuration.timeouts.request
        var headers = ["Accept": "application/json", "User-Agent": Self.userAgent]
        if !call.body.isEmpty { headers["Content-Type"] = "application/json" }
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        if call.delegatesAccess, let delegation = configuration.accessDelegation {
            headers["X-Iceberg-Access-Delegation"] = delegation
        }
        let started = clock.now
        var attempt = 0
        var renewedToken = false
        while true {
            attempt += 1
            var request = RESTRequest(method: call.method, url: call.url, headers: headers, body: call.body)
            let failure: Failure
            var token: String?
            do {
                token = try await bearerToken()
                if let token { request.headers["Authorization"] = "Bearer \(token)" }
                let response = try await transport.send(request, timeout: timeout)
                if (200..<300).contains(response.status) { return response }
                if response.status == 401 || response.status == 419, let tokens, let token, !renewedToken {
                    renewedToken = true
                    await tokens.invalidate(token)
                    attempt -= 1
                    continue
                }
                failure = .response(response)
            } catch let error as RESTTransportError {
                failure = .transport(error)
            }
            let retryable: Bool
            switch failure {
            case .response(let response):
                retryable = RESTErrorClassifier.isTransient(status: response.status)
                    && (!call.isMutation || idempotencyKey != nil || response.status == 429)
            case .transport(let error):
                retryable = error.kind == .notSent || !call.isMutation || idempotencyKey != nil
            }
            let withinKeyLifetime = server?.idempotencyLifetime.map { clock.now - started < $0 } ?? true
            guard retryable, attempt < configuration.retry.maxAttempts, idempotencyKey == nil || withinKeyLifetime else {
                switch failure {
                case .response(let response):
                    throw RESTErrorClassifier.classify(status: response.status, body: response.body,
                                                       operation: call.operation, context: call.context)
                case .transport(let error):
                    throw RESTErrorClassifier.classify(error, operation: call.operation, context: call.context)
                }
            }
            let wait = configuration.retry.backoff(afterAttempt: attempt, jitter: Double.random(in: 0..<1))
            logger.warning("catalog request failed, retrying", metadata: [
                "iceberg.operation": "\(call.operation.rawValue)", "floe.attempt": "\(attempt)",
                "http.response.status_code": "\(Self.status(of: failure))",
            ])
            try await Task.sleep(for: wait)
        }
    }

    /// `User-Agent` of catalog requests.
    static let userAgent = "floe-iceberg-rest/1"

    private static func status(of failure: Failure) -> String {
        switch failure {
        case .response(let response): String(response.status)
        case .transport(let error): error.kind == .notSent ? "not_sent" : "no_response"
        }
    }

    private func bearerToken() async throws -> String? {
        switch configuration.authentication {
        case .none: nil
        case .bearer(let token): token
        case .oauth2: try await tokens?.accessToken()
        }
    }

    /// Sends `call` and decodes its JSON response as `T`.
    func send<T: Decodable>(_ call: Call, server: RESTServerConfig?, as type: T.Type) async throws -> T {
        let response = try await send(call, server: server)
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            var context = call.context
            context["operation"] = call.operation.rawValue
            context["decoding_error"] = String(describing: error).prefix(300).description
            // A commit whose answer cannot be read may still have been applied.
            throw CatalogError(call.operation == .commit ? .commitStateUnknown : .invalidMetadata,
                               "the catalog's response is not the JSON the spec describes", context: context)
        }
    }

    /// The JSON bytes of a request body.
    static func json(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw CatalogError(.invalidArgument, "the request could not be encoded as JSON",
                               context: ["encoding_error": String(describing: error).prefix(300).description])
        }
    }
}

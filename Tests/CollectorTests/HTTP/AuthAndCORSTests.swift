@testable import Collector
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Credentials (ingest keys, the admin token) and CORS, through the router.
@Suite("HTTP auth and CORS")
struct AuthAndCORSTests {
    private func authenticated(adminToken: String? = nil) throws -> HTTPHarness {
        try HTTPHarness {
            $0.authEnabled = true
            $0.authKeys = ["key-one", "key-two"]
            $0.adminToken = adminToken
        }
    }

    @Test("with auth on, every credential form is accepted: Bearer, Basic writeKey, X-API-Key, writeKey in the body")
    func credentialForms() async throws {
        let harness = try authenticated()
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/track", segmentMessage(), headers: .bearer("key-one")))
            try expectAccepted(try await client.post("/v1/track", segmentMessage(), headers: .basic("key-two")))
            // Segment's SDKs put the writeKey in the user name and may send any password.
            try expectAccepted(try await client.post("/v1/track", segmentMessage(), headers: .basic("key-two", password: "ignored")))
            try expectAccepted(try await client.post("/v1/track", segmentMessage(), headers: .apiKey("key-one")))
            try expectAccepted(try await client.post("/v1/batch", segmentBatch([segmentMessage()], writeKey: "key-two")))
            try expectAccepted(try await client.post("/v1/track", segmentMessage(extra: #""writeKey":"key-one""#)))
            try expectAccepted(try await client.post("/events", cloudEvent(), headers: .bearer("key-two")))
        }
        #expect(harness.buffered("events") == 6)
        #expect(harness.buffered("cloudevents") == 1)
    }

    @Test("401 in the envelope, with WWW-Authenticate, for missing, malformed or wrong credentials; nothing stored")
    func unauthorized() async throws {
        let harness = try authenticated()
        try await harness.run { client in
            let missing = try expectError(try await client.post("/v1/track", segmentMessage()), 401)
            #expect(missing.error.hasPrefix("missing credentials"))
            #expect(missing.errors == nil)
            let cases: [(String, HTTPFields, String)] = [
                ("/v1/batch", .bearer("wrong"), segmentBatch([segmentMessage()])),
                ("/v1/batch", .basic("wrong"), segmentBatch([segmentMessage()])),
                ("/v1/batch", .apiKey("wrong"), segmentBatch([segmentMessage()])),
                ("/v1/batch", [.authorization: "Bearer"], segmentBatch([segmentMessage()])),
                ("/v1/batch", [.authorization: "Basic !!!not-base64"], segmentBatch([segmentMessage()])),
                ("/v1/batch", [.authorization: "Digest key-one"], segmentBatch([segmentMessage()])),
                ("/events", .bearer("wrong"), cloudEvent()),
                ("/events/batch", [:], "[\(cloudEvent())]"),
            ]
            for (path, headers, body) in cases {
                let response = try await client.post(path, body, headers: headers)
                let envelope = try expectError(response, 401)
                #expect(envelope.error.contains("credentials"), "\(path) \(headers)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"floe\", Basic realm=\"floe\"")
            }
            let writeKey = try expectError(try await client.post("/v1/batch", segmentBatch([segmentMessage()], writeKey: "wrong")), 401)
            #expect(writeKey.error == "invalid writeKey")
            // The key followed by 256 zero bytes (only a body writeKey can carry them) is another key.
            let padded = "key-one" + String(repeating: "\\u0000", count: 256)
            let zeros = try expectError(try await client.post("/v1/batch", segmentBatch([segmentMessage()], writeKey: padded)), 401)
            #expect(zeros.error == "invalid writeKey")
            // A wrong header key is refused even when the body carries a right writeKey.
            try expectError(try await client.post("/v1/batch", segmentBatch([segmentMessage()], writeKey: "key-one"),
                                                   headers: .bearer("wrong")), 401)
        }
        #expect(harness.components.buffer.stats().isEmpty)
    }

    @Test("with auth on and no admin token, /debug and /metrics take any API key")
    func adminWithAPIKey() async throws {
        let harness = try authenticated()
        try await harness.run { client in
            try expectError(try await client.get("/debug/status"), 401)
            try expectError(try await client.get("/metrics"), 401)
            try expectError(try await client.get("/debug/status", headers: .bearer("nope")), 401)
            #expect(try await client.get("/debug/status", headers: .bearer("key-one")).status == .ok)
            #expect(try await client.get("/metrics", headers: .apiKey("key-two")).status == .ok)
            // Health stays open.
            #expect(try await client.get("/health").status == .ok)
        }
    }

    @Test("the admin token guards /debug/* and /metrics: API keys are refused there, and it opens them in every form")
    func adminToken() async throws {
        let harness = try authenticated(adminToken: "admin-secret")
        try await harness.run { client in
            let refused = try expectError(try await client.get("/debug/status", headers: .bearer("key-one")), 401)
            #expect(refused.error == "invalid admin credentials")
            try expectError(try await client.get("/metrics", headers: .bearer("key-one")), 401)
            try expectError(try await client.execute(uri: "/debug/flush", method: .post, headers: .apiKey("key-two")), 401)
            try expectError(try await client.get("/debug/list-r2", headers: .basic("key-one")), 401)
            let missing = try expectError(try await client.get("/debug/status/track"), 401)
            #expect(missing.error == "missing admin credentials")
            try expectError(try await client.get("/metrics", headers: [.authorization: "Bearer "]), 401)

            #expect(try await client.get("/debug/status", headers: .bearer("admin-secret")).status == .ok)
            #expect(try await client.get("/debug/status/track", headers: .basic("admin-secret")).status == .ok)
            #expect(try await client.get("/metrics", headers: .apiKey("admin-secret")).status == .ok)
            // The admin token is not an ingest key.
            try expectError(try await client.post("/v1/track", segmentMessage(), headers: .bearer("admin-secret")), 401)
        }
    }

    @Test("an admin token alone (auth off) guards only the admin routes")
    func adminTokenWithoutAuth() async throws {
        let harness = try HTTPHarness { $0.adminToken = "admin-secret" }
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/track", segmentMessage()))
            try expectError(try await client.get("/debug/status"), 401)
            #expect(try await client.get("/debug/status", headers: .bearer("admin-secret")).status == .ok)
        }
    }

    @Test("CORS: a preflight from an allowed origin is answered 204 with the allowed methods and headers")
    func preflight() async throws {
        let harness = try HTTPHarness { $0.allowedOrigins = ["https://app.example", "https://other.example"] }
        try await harness.run { client in
            let response = try await client.execute(uri: "/v1/batch", method: .options, headers: [
                .origin: "https://app.example", .accessControlRequestMethod: "POST",
                .accessControlRequestHeaders: "content-type, authorization",
            ])
            #expect(response.status == .noContent)
            #expect(response.headers[.accessControlAllowOrigin] == "https://app.example")
            #expect(response.headers[.accessControlAllowCredentials] == "true")
            #expect(response.headers[.accessControlAllowMethods] == "GET, POST, OPTIONS")
            #expect(response.headers[.accessControlAllowHeaders] == "content-type, authorization")
            #expect(response.headers[.accessControlMaxAge] == "86400")
            #expect(response.headers[.vary] == "Origin")

            // Without Access-Control-Request-Headers the usual ones are offered.
            let plain = try await client.execute(uri: "/events", method: .options, headers: [
                .origin: "https://other.example", .accessControlRequestMethod: "POST",
            ])
            #expect(plain.status == .noContent)
            #expect(plain.headers[.accessControlAllowHeaders] == "Content-Type, Authorization, X-API-Key, Content-Encoding")

            // An origin not on the list gets no CORS headers (the browser blocks it), only Vary.
            let foreign = try await client.execute(uri: "/v1/batch", method: .options, headers: [
                .origin: "https://evil.example", .accessControlRequestMethod: "POST",
            ])
            #expect(foreign.status != .noContent)
            #expect(foreign.headers[.accessControlAllowOrigin] == nil)
            #expect(foreign.headers[.vary] == "Origin")
        }
    }

    @Test("CORS: answers to allowed origins (errors too) carry the origin, credentials and Vary: Origin")
    func actualRequests() async throws {
        let harness = try HTTPHarness {
            $0.allowedOrigins = ["https://app.example"]
            $0.authEnabled = true
            $0.authKeys = ["key-one"]
        }
        try await harness.run { client in
            let ok = try await client.post("/v1/track", segmentMessage(),
                                           headers: [.origin: "https://app.example", .authorization: "Bearer key-one"])
            try expectAccepted(ok)
            #expect(ok.headers[.accessControlAllowOrigin] == "https://app.example")
            #expect(ok.headers[.accessControlAllowCredentials] == "true")
            #expect(ok.headers[.vary] == "Origin")

            // A browser must be able to read a 401's body.
            let refused = try await client.post("/v1/track", segmentMessage(), headers: [.origin: "https://app.example"])
            try expectError(refused, 401)
            #expect(refused.headers[.accessControlAllowOrigin] == "https://app.example")
            #expect(refused.headers[.vary] == "Origin")

            let foreign = try await client.post("/v1/track", segmentMessage(),
                                                headers: [.origin: "https://evil.example", .authorization: "Bearer key-one"])
            try expectAccepted(foreign)
            #expect(foreign.headers[.accessControlAllowOrigin] == nil)
            #expect(foreign.headers[.accessControlAllowCredentials] == nil)
            #expect(foreign.headers[.vary] == "Origin")

            // Same-origin (no Origin header): Vary only.
            let local = try await client.post("/v1/track", segmentMessage(), headers: .bearer("key-one"))
            #expect(local.headers[.accessControlAllowOrigin] == nil)
            #expect(local.headers[.vary] == "Origin")
        }
    }

    @Test("CORS with *: any origin is echoed back (never a literal *), with credentials")
    func wildcard() async throws {
        let harness = try HTTPHarness { $0.allowedOrigins = ["*"] }
        try await harness.run { client in
            for origin in ["https://a.example", "http://localhost:3000"] {
                let preflight = try await client.execute(uri: "/v1/batch", method: .options, headers: [
                    .origin: origin, .accessControlRequestMethod: "POST",
                ])
                #expect(preflight.status == .noContent)
                #expect(preflight.headers[.accessControlAllowOrigin] == origin)
                let response = try await client.post("/v1/batch", segmentBatch([segmentMessage()]), headers: [.origin: origin])
                try expectAccepted(response)
                #expect(response.headers[.accessControlAllowOrigin] == origin)
                #expect(response.headers[.accessControlAllowCredentials] == "true")
            }
        }
    }

    @Test("CORS off: no CORS headers, and OPTIONS is not answered as a preflight")
    func corsOff() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            let response = try await client.post("/v1/track", segmentMessage(), headers: [.origin: "https://app.example"])
            try expectAccepted(response)
            #expect(response.headers[.accessControlAllowOrigin] == nil)
            #expect(response.headers[.vary] == nil)
            let preflight = try await client.execute(uri: "/v1/batch", method: .options, headers: [
                .origin: "https://app.example", .accessControlRequestMethod: "POST",
            ])
            #expect(preflight.status != .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == nil)
        }
    }
}

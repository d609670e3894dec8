import Buffer
@testable import Collector
import CZlib
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

/// Floe's router over real components (buffer, embedded SQL catalog, local warehouse) in a
/// temporary data directory, driven in-process through HummingbirdTesting.
struct HTTPHarness: Sendable {
    let directory: URL
    let configuration: FloeConfiguration
    let components: FloeServer.Components
    let readiness: Readiness
    let registry: PrometheusCollectorRegistry
    let server: FloeServer

    static let quietLogger = Logger(label: "floe-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A fresh data directory and `configure` applied to a test configuration (fast buffer, no
    /// drain delay); `makeComponents` replaces ``FloeServer/makeComponents()`` (a coordinator
    /// over test doubles).
    init(_ configure: (inout FloeConfiguration) -> Void = { _ in },
         ready: Bool = true,
         makeComponents: ((FloeConfiguration, URL) throws -> FloeServer.Components)? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = FloeConfiguration()
        configuration.dataDirectory = directory.path
        configuration.durability = .os
        configuration.instanceId = "test-instance"
        configure(&configuration)
        self.configuration = configuration
        let server = FloeServer(configuration: configuration, logger: Self.quietLogger)
        components = try makeComponents?(configuration, directory) ?? server.makeComponents()
        readiness = Readiness(shutdownTimeout: .seconds(5))
        if ready { readiness.recovered() }
        registry = PrometheusCollectorRegistry()
        self.server = server
    }

    /// Runs `body` against the router, then removes the data directory.
    func run<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        defer { try? FileManager.default.removeItem(at: directory) }
        let router = try server.makeRouter(components: components, registry: registry, readiness: readiness,
                                           refusals: RefusalLog(logger: Self.quietLogger))
        let app = Application(router: router, logger: Self.quietLogger)
        return try await app.test(.router, body)
    }

    /// Events buffered (not yet flushed) in `table`.
    func buffered(_ table: String) -> Int {
        components.buffer.stats().filter { $0.key.table == table }.reduce(0) { $0 + $1.value.count }
    }
}

// MARK: Requests

extension TestClientProtocol {
    /// POSTs `body` (JSON unless `headers` say otherwise).
    @discardableResult
    func post(_ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await post(uri, bytes: Array(body.utf8), headers: headers)
    }

    @discardableResult
    func post(_ uri: String, bytes: [UInt8], headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension HTTPFields {
    static func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }
    static func basic(_ user: String, password: String = "") -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }
    static func apiKey(_ key: String) -> HTTPFields { [HTTPField.Name("X-API-Key")!: key] }
}

// MARK: Bodies

/// A Segment message of `type` that passes validation, with a fixed event time (one partition per type).
func segmentMessage(_ type: String = "track", id: String = UUID().uuidString, extra: String = "") -> String {
    var members = [#""type":"\#(type)""#, #""messageId":"\#(id)""#, #""userId":"u-1""#,
                   #""timestamp":"2025-06-01T10:15:00Z""#]
    switch type {
    case "track": members.append(#""event":"Signed Up""#)
    case "group": members.append(#""groupId":"g-1""#)
    case "alias": members.append(#""previousId":"anon-1""#)
    case "page", "screen": members.append(#""name":"Home""#)
    default: break
    }
    if !extra.isEmpty { members.append(extra) }
    return "{" + members.joined(separator: ",") + "}"
}

func segmentBatch(_ messages: [String], writeKey: String? = nil) -> String {
    var text = #"{"batch":["# + messages.joined(separator: ",") + "]"
    if let writeKey { text += #","writeKey":"\#(writeKey)""# }
    return text + "}"
}

/// A structured-mode CloudEvent that passes validation.
func cloudEvent(id: String = UUID().uuidString, type: String = "com.example.order.created") -> String {
    #"{"specversion":"1.0","id":"\#(id)","source":"/shop","type":"\#(type)","time":"2025-06-01T10:15:00Z","data":{"n":1}}"#
}

// MARK: Answers

/// openapi.yaml `Error` (plus the `code` and `message` SDKs read).
struct ErrorEnvelope: Decodable {
    var success: Bool
    var error: String
    var errors: [String]?
    var code: Int?
    var message: String?
}

/// openapi.yaml `Accepted`.
struct AcceptedBody: Decodable {
    struct Rejection: Decodable {
        var index: Int
        var reasons: [String]
    }

    var success: Bool
    var count: Int
    var duplicates: Int
    var accepted: Int
    var rejected: Int
    var errors: [Rejection]?
}

/// Checks an error answer against the envelope of openapi.yaml and returns it.
@discardableResult
func expectError(_ response: TestResponse, _ status: Int,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> ErrorEnvelope {
    #expect(response.status.code == status, "status", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(response.body.readableBytesView))
    #expect(envelope.success == false, sourceLocation: sourceLocation)
    #expect(!envelope.error.isEmpty, sourceLocation: sourceLocation)
    #expect(envelope.code == status, sourceLocation: sourceLocation)
    #expect(envelope.message == envelope.error, sourceLocation: sourceLocation)
    return envelope
}

/// Checks a 200 answer against `Accepted` and returns it.
@discardableResult
func expectAccepted(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> AcceptedBody {
    #expect(response.status == .ok, "\(text(response))", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    let body = try JSONDecoder().decode(AcceptedBody.self, from: Data(response.body.readableBytesView))
    #expect(body.success, sourceLocation: sourceLocation)
    #expect(body.count == body.accepted, sourceLocation: sourceLocation)
    #expect((body.errors?.count ?? 0) == body.rejected, sourceLocation: sourceLocation)
    return body
}

/// The body as text.
func text(_ response: TestResponse) -> String {
    String(decoding: response.body.readableBytesView, as: UTF8.self)
}

/// A JSON object answer.
func jsonObject(_ response: TestResponse) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
    return try #require(value as? [String: Any])
}

/// The whole `Retry-After` header as seconds (nil when absent or not a number).
func retryAfter(_ response: TestResponse) -> Int? {
    response.headers[.retryAfter].flatMap { Int($0) }
}

// MARK: Compression

enum Deflate {
    /// `input` compressed as gzip (`gzip: true`), zlib-wrapped deflate, or raw deflate (`raw: true`).
    static func compress(_ input: [UInt8], gzip: Bool, raw: Bool = false) -> [UInt8] {
        var stream = z_stream()
        let initialized = deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, raw ? -15 : gzip ? 15 + 16 : 15, 8,
                                        Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(initialized == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        var source = input
        let status = source.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END)
        return Array(output.prefix(Int(stream.total_out)))
    }
}

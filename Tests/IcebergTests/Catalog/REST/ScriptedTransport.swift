#if canImport(IcebergREST)
@testable import Iceberg
#endif
@testable import Iceberg
import Foundation
import Synchronization

/// A ``RESTTransport`` that answers from a script and records every request; for unit tests.
final class ScriptedTransport: RESTTransport {
    enum Reply: Sendable {
        case status(Int, String = "")
        case json(Int, String)
        case fail(RESTTransportError.Kind)
    }

    /// Answers by route: the first matching `(method, path suffix)` entry with replies left is used.
    private let script: Mutex<[(method: String, suffix: String, replies: [Reply])]>
    private let log = Mutex<[RESTRequest]>([])

    init(_ script: [(String, String, [Reply])]) {
        self.script = Mutex(script.map { (method: $0.0, suffix: $0.1, replies: $0.2) })
    }

    var requests: [RESTRequest] { log.withLock { $0 } }

    func requests(_ method: String, _ suffix: String) -> [RESTRequest] {
        requests.filter { $0.method == method && Self.path($0.url).hasSuffix(suffix) }
    }

    static func path(_ url: String) -> String { String(url.split(separator: "?").first ?? "") }

    func send(_ request: RESTRequest, timeout: Duration) async throws -> RESTResponse {
        log.withLock { $0.append(request) }
        let reply: Reply? = script.withLock { script in
            guard let index = script.firstIndex(where: {
                $0.method == request.method && Self.path(request.url).hasSuffix($0.suffix) && !$0.replies.isEmpty
            }) else { return nil }
            return script[index].replies.removeFirst()
        }
        switch reply {
        case nil: return RESTResponse(status: 599, body: Array("unscripted \(request)".utf8))
        case .status(let code, let body): return RESTResponse(status: code, body: Array(body.utf8))
        case .json(let code, let body):
            return RESTResponse(status: code, headers: ["Content-Type": "application/json"], body: Array(body.utf8))
        case .fail(let kind): throw RESTTransportError(kind, "scripted")
        }
    }
}

enum RESTFixtures {
    static let config = #"{"defaults": {"clients": "4"}, "overrides": {"prefix": "ws"}}"#
    static let idempotentConfig = #"{"defaults": {}, "overrides": {"prefix": "ws"}, "idempotency-key-lifetime": "PT30M"}"#
    static let table = TableIdentifier(namespace: ["analytics"], name: "events")

    static func metadataJSON(snapshot: Bool = false) -> String {
        var metadata = TableMetadata(tableUUID: "9c12d441-03fe-4693-9a96-a0705ddf69c1", location: "s3://b/w/events",
                                     schema: Schema(fields: [NestedField(id: 1, name: "id", required: true, type: .long)]),
                                     partitionSpec: .unpartitioned, lastUpdatedMs: 1_700_000_000_000)
        if snapshot {
            metadata = (try? metadata.applying([
                .addSnapshot(Snapshot(snapshotId: 7, parentSnapshotId: nil, sequenceNumber: 1, timestampMs: 1_700_000_000_001,
                                      manifestList: "s3://b/w/events/metadata/snap-7.avro", summary: ["operation": "append"],
                                      schemaId: 0)),
                .setSnapshotRef(name: "main", reference: SnapshotReference(snapshotId: 7)),
            ], nowMs: 1_700_000_000_002)) ?? metadata
        }
        return String(decoding: (try? metadata.jsonBytes()) ?? [], as: UTF8.self)
    }

    static func loadResult(config: String = "{}", credentials: String = "[]") -> String {
        #"{"metadata-location": "s3://b/w/events/metadata/00001.metadata.json", "metadata": \#(metadataJSON()), "config": \#(config), "storage-credentials": \#(credentials)}"#
    }

    static func commitResult() -> String {
        #"{"metadata-location": "s3://b/w/events/metadata/00002.metadata.json", "metadata": \#(metadataJSON(snapshot: true))}"#
    }

    static func error(_ code: Int, _ type: String, _ message: String = "boom") -> String {
        #"{"error": {"message": "\#(message)", "type": "\#(type)", "code": \#(code)}}"#
    }

    static func configuration(_ authentication: RESTCatalog.Authentication = .none) -> RESTCatalog.Configuration {
        var configuration = RESTCatalog.Configuration(uri: "https://catalog.example/acct/bucket", warehouse: "acct_bucket",
                                                      authentication: authentication)
        configuration.retry.initialBackoff = .milliseconds(1)
        configuration.retry.maxBackoff = .milliseconds(2)
        return configuration
    }
}

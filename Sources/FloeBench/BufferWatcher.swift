import Collector
import AsyncHTTPClient
import Foundation

/// Polls a benchmarked server's `/debug/status` once a second: buffered events at the start, the
/// most seen, and the number of partitions.
actor BufferWatcher {
    struct Summary: Sendable {
        var start = 0
        /// When the load stopped.
        var atStop = 0
        /// Once the flush cycle running when the load stopped has committed (see ``IngestBench``).
        var end = 0
        var max = 0
        var partitions = 0
    }

    struct Status: Sendable {
        var events: Int
        var partitions: Int
        /// Events due for a flush and not yet committed.
        var due: Int
    }

    private let client: HTTPClient
    private let base: String
    private var current = Summary()
    private var started = false

    init(client: HTTPClient, base: String) {
        self.client = client
        self.base = base
    }

    func watch() async {
        while !Task.isCancelled {
            if let status = try? await Self.status(client, base: base) {
                if !started {
                    current.start = status.events
                    started = true
                }
                current.max = max(current.max, status.events)
                current.partitions = max(current.partitions, status.partitions)
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func summary() -> Summary { current }

    /// Buffered events and partitions now.
    static func status(_ client: HTTPClient, base: String) async throws -> Status {
        let response = try await client.execute(HTTPClientRequest(url: base + "/debug/status"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        let partitions = (object?["partitions"] as? [Any])?.count ?? 0
        return Status(events: object?["buffered_count"] as? Int ?? 0, partitions: partitions,
                      due: object?["due_events"] as? Int ?? 0)
    }
}

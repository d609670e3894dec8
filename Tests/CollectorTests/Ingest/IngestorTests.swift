import Buffer
@testable import Collector
import Foundation
import Logging
import Parquet
import Testing

/// Per-event acceptance (docs/design.md §3) against a real buffer: what is stored where, and what is answered.
@Suite("Ingestor")
struct IngestorTests {
    private func makeBuffer() throws -> EventBuffer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingestor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try EventBuffer(configuration: BufferConfiguration(path: directory.appendingPathComponent("buffer.db").path),
                               logger: Logger(label: "test"))
    }

    /// An ingestor on a fresh buffer.
    private func makeIngestor() throws -> (EventBuffer, Ingestor) {
        let buffer = try makeBuffer()
        return (buffer, Ingestor(buffer: buffer, metrics: IngestMetrics()))
    }

    private let request = IngestContext(receivedAt: 1_790_000_000_000_000, clientIP: nil, route: "/v1/batch", requestId: "req-1")
    private let open: Ingestor.Authorize = { _ in "key-abc" }

    /// The buffered rows of `table`, decoded into Parquet columns.
    private func columns(_ buffer: EventBuffer, _ table: TableDefinition) async throws -> (rows: Int, columns: [ColumnData]) {
        var decoder = RowBatchDecoder(table: table)
        for partition in buffer.stats().keys where partition.table == table.name {
            for row in try await buffer.rows(in: partition, limit: 1_000) { try decoder.append(row.payload) }
        }
        return (decoder.rowCount, decoder.columns())
    }

    private func strings(_ column: ColumnData) -> [String] {
        guard case .byteArray(let buffer, _) = column else { return [] }
        return (0..<buffer.count).map {
            String(decoding: buffer.bytes[Int(buffer.offsets[$0])..<Int(buffer.offsets[$0 + 1])], as: UTF8.self)
        }
    }

    private let batch = Array("""
        {"batch":[{"type":"track","userId":"u1","event":"a","messageId":"m1"},
                  {"type":"track","userId":"u2","messageId":"m2"},
                  {"type":"identify","messageId":"m3"}]}
        """.utf8)

    @Test("a batch stores its valid events and records each invalid one, with its reasons, in one transaction")
    func perEvent() async throws {
        let (buffer, ingestor) = try makeIngestor()
        let outcome = try await ingestor.segmentBatch(batch, request: request, authorize: open)
        #expect(outcome.accepted == 1 && outcome.rejected.map(\.index) == [1, 2])
        #expect(outcome.rejected[0].reasons == ["event: is required for track"])
        #expect(outcome.rejected[1].reasons == ["userId: userId or anonymousId is required"])
        #expect(try await columns(buffer, .events).rows == 1)

        let rejected = try await columns(buffer, .rejected)
        #expect(rejected.rows == 2)
        #expect(strings(rejected.columns[RejectedColumn.route]) == ["/v1/batch", "/v1/batch"])
        #expect(strings(rejected.columns[RejectedColumn.requestId]) == ["req-1", "req-1"])
        #expect(strings(rejected.columns[RejectedColumn.sourceId]) == ["key-abc", "key-abc"])
        #expect(strings(rejected.columns[RejectedColumn.event]) == [
            #"{"type":"track","userId":"u2","messageId":"m2"}"#, #"{"type":"identify","messageId":"m3"}"#,
        ])
        guard case .list(let offsets, _, let elements) = rejected.columns[RejectedColumn.reasons] else {
            Issue.record("reasons is not a list")
            return
        }
        #expect(offsets == [0, 1, 2])
        #expect(strings(elements) == ["event: is required for track", "userId: userId or anonymousId is required"])

        // The same request again: acknowledged, nothing stored twice.
        let again = try await ingestor.segmentBatch(batch, request: request, authorize: open)
        #expect(again.duplicates == 1)
        #expect(try await columns(buffer, .rejected).rows == 2)
    }

    @Test("CloudEvents whose source and id join to the same bytes around a zero byte are two events")
    func cloudEventIdentities() async throws {
        let (buffer, ingestor) = try makeIngestor()
        let body = Array(#"""
            [{"specversion":"1.0","type":"t","source":"a\u0000b","id":"c"},
             {"specversion":"1.0","type":"t","source":"a","id":"b\u0000c"},
             {"specversion":"1.0","type":"t","source":"a\u0000","id":"bc"}]
            """#.utf8)
        let outcome = try await ingestor.cloudEvents(body, request: request, batch: true, authorize: open)
        #expect(outcome.accepted == 3 && outcome.duplicates == 0)
        let again = try await ingestor.cloudEvents(body, request: request, batch: true, authorize: open)
        #expect(again.duplicates == 3)
        #expect(try await columns(buffer, .cloudEvents).rows == 3)
    }

    @Test("a CloudEvent whose type is too long for a partition directory is rejected on its own")
    func cloudEventTypeLength() async throws {
        let (buffer, ingestor) = try makeIngestor()
        // 67 three-byte characters: 201 bytes, 603 once percent-encoded; 200 ASCII bytes fit exactly.
        let long = String(repeating: "\u{2603}", count: 67)
        let fits = String(repeating: "a", count: 200)
        let body = Array(#"""
            [{"specversion":"1.0","type":"\#(long)","source":"s","id":"1"},
             {"specversion":"1.0","type":"\#(fits)","source":"s","id":"2"}]
            """#.utf8)
        let outcome = try await ingestor.cloudEvents(body, request: request, batch: true, authorize: open)
        #expect(outcome.accepted == 1 && outcome.rejected.map(\.index) == [0])
        #expect(outcome.rejected.first?.reasons == ["type: is too long to name a partition (at most 200 bytes percent-encoded)"])
        #expect(try await columns(buffer, .cloudEvents).rows == 1)
    }

    @Test("a CloudEvent whose type would lead out of its partition directory is rejected on its own",
          arguments: ["x/../../../tmp/y", "..", "a/..", "a\\u0000b"])
    func cloudEventTypePath(type: String) async throws {
        let (_, ingestor) = try makeIngestor()
        let body = Array(#"[{"specversion":"1.0","type":"\#(type)","source":"s","id":"1"},{"specversion":"1.0","type":"a/..b/.","source":"s","id":"2"}]"#.utf8)
        let outcome = try await ingestor.cloudEvents(body, request: request, batch: true, authorize: open)
        #expect(outcome.accepted == 1 && outcome.rejected.map(\.index) == [0])
        #expect(outcome.rejected.first?.reasons == ["type: must not hold a zero byte or a '..' path segment (it names a partition directory)"])
    }

    @Test("strict batches refuse the whole batch and store nothing")
    func strict() async throws {
        let buffer = try makeBuffer()
        var ingestor = Ingestor(buffer: buffer, metrics: IngestMetrics())
        ingestor.strict = true
        await #expect {
            _ = try await ingestor.segmentBatch(batch, request: request, authorize: open)
        } throws: { error in
            (error as? APIError)?.status.code == 400 && (error as? APIError)?.errors.count == 2
        }
        #expect(buffer.stats().isEmpty)
    }

    @Test("an invalid single event is recorded, then answered 400")
    func single() async throws {
        let (buffer, ingestor) = try makeIngestor()
        await #expect {
            _ = try await ingestor.segmentMessage(Array(#"{"userId":"u"}"#.utf8), type: .track, request: request, authorize: open)
        } throws: { error in
            (error as? APIError)?.status.code == 400
        }
        let rejected = try await columns(buffer, .rejected)
        #expect(rejected.rows == 1 && strings(rejected.columns[RejectedColumn.event]) == [#"{"userId":"u"}"#])
        #expect(try await columns(buffer, .events).rows == 0)
    }

    @Test("an event over the per-event limit is rejected on its own, cut at the limit on a character boundary")
    func oversized() async throws {
        let buffer = try makeBuffer()
        var ingestor = Ingestor(buffer: buffer, metrics: IngestMetrics())
        ingestor.maxEventBytes = 64
        let big = #"{"type":"track","userId":"u","event":"éééééééééééééééééééééééééééééééééé"}"#
        let body = Array(#"{"batch":[{"type":"track","userId":"u1","event":"a"},\#(big)]}"#.utf8)
        let outcome = try await ingestor.segmentBatch(body, request: request, authorize: open)
        #expect(outcome.accepted == 1 && outcome.rejected.first?.reasons == ["event is over the limit of 64 bytes per event"])
        let rejected = try await columns(buffer, .rejected)
        let kept = strings(rejected.columns[RejectedColumn.event])
        #expect(kept.count == 1 && big.hasPrefix(kept[0]) && kept[0].utf8.count <= 64 && kept[0].utf8.count >= 63)
        guard case .int32(let sizes, _) = rejected.columns[RejectedColumn.eventBytes] else { return }
        #expect(sizes == [Int32(big.utf8.count)])
    }

    @Test("a body that is not a batch is refused as a whole")
    func wholeBody() async throws {
        let (buffer, ingestor) = try makeIngestor()
        for body in [#"{"batch":5}"#, #"[1]"#, #"{"batch":[{"type":"track","userId":"u","event":"e"}],"sentAt":"never"}"#] {
            await #expect(throws: APIError.self) {
                _ = try await ingestor.segmentBatch(Array(body.utf8), request: request, authorize: open)
            }
        }
        #expect(buffer.stats().isEmpty)
    }
}

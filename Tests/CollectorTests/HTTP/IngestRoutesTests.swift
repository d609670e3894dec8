@testable import Collector
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The ingest routes of openapi.yaml in-process: what each answers and what it stores.
@Suite("HTTP ingest routes")
struct IngestRoutesTests {
    @Test("every Segment route (long and short form) answers 200 with the Accepted body and buffers the event")
    func everySegmentRoute() async throws {
        let harness = try HTTPHarness()
        let routes: [(path: String, type: String)] = [
            ("track", "track"), ("t", "track"), ("identify", "identify"), ("i", "identify"),
            ("page", "page"), ("p", "page"), ("screen", "screen"), ("s", "screen"),
            ("group", "group"), ("g", "group"), ("alias", "alias"), ("a", "alias"),
        ]
        try await harness.run { client in
            for route in routes {
                // The path decides the type: the body's own `type` is not needed.
                let body = segmentMessage(route.type).replacingOccurrences(of: #""type":"\#(route.type)","#, with: "")
                let answer = try expectAccepted(try await client.post("/v1/\(route.path)", body))
                #expect(answer.accepted == 1 && answer.duplicates == 0 && answer.rejected == 0 && answer.errors == nil,
                        "/v1/\(route.path)")
            }
        }
        let stats = harness.components.buffer.stats()
        #expect(harness.buffered("events") == routes.count)
        #expect(Set(stats.keys.map(\.key)) == Set(["track", "identify", "page", "screen", "group", "alias"].map {
            "\($0)/2025-06-01-10"
        }))
    }

    @Test("/v1/batch and /v1/import take a batch; a retried batch is acknowledged again and stored once")
    func batchAndImport() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            let batch = segmentBatch([segmentMessage("track", id: "m1"), segmentMessage("identify", id: "m2")])
            let first = try expectAccepted(try await client.post("/v1/batch", batch))
            #expect(first.accepted == 2 && first.duplicates == 0)
            let again = try expectAccepted(try await client.post("/v1/import", batch))
            #expect(again.accepted == 2 && again.duplicates == 2)
            // text/plain is what sendBeacon sends.
            let beacon = try expectAccepted(try await client.post("/v1/import", segmentBatch([segmentMessage(id: "m3")]),
                                                                   headers: [.contentType: "text/plain;charset=UTF-8"]))
            #expect(beacon.accepted == 1)
        }
        #expect(harness.buffered("events") == 3)
    }

    @Test("CloudEvents: structured, batched by content type, /events/batch (array and object) and binary mode")
    func cloudEventRoutes() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            let single = try expectAccepted(try await client.post("/events", cloudEvent(id: "c1"),
                                                                   headers: [.contentType: "application/cloudevents+json"]))
            #expect(single.accepted == 1)
            let batched = try expectAccepted(try await client.post("/events", "[\(cloudEvent(id: "c2")),\(cloudEvent(id: "c3"))]",
                                                                    headers: [.contentType: "application/cloudevents-batch+json"]))
            #expect(batched.accepted == 2)
            let array = try expectAccepted(try await client.post("/events/batch", "[\(cloudEvent(id: "c4"))]"))
            #expect(array.accepted == 1)
            let object = try expectAccepted(try await client.post("/events/batch", #"{"events":[\#(cloudEvent(id: "c5"))]}"#))
            #expect(object.accepted == 1)
            let binary = try expectAccepted(try await client.post("/events", "plain text data", headers: [
                HTTPField.Name("ce-specversion")!: "1.0", HTTPField.Name("ce-id")!: "c6",
                HTTPField.Name("ce-source")!: "/shop", HTTPField.Name("ce-type")!: "com.example.binary",
                HTTPField.Name("ce-time")!: "2025-06-01T10:15:00Z", .contentType: "text/plain",
            ]))
            #expect(binary.accepted == 1)
        }
        #expect(harness.buffered("cloudevents") == 6)
        #expect(harness.components.buffer.stats().keys.contains { $0.table == "cloudevents" && $0.key == "com.example.binary/2025-06-01-10" })
    }

    @Test("a batch stores its valid events and answers the invalid ones (and events over max_event_bytes) in errors")
    func perEventRejection() async throws {
        let harness = try HTTPHarness { $0.maxEventBytes = 400 }
        try await harness.run { client in
            let big = segmentMessage("track", extra: #""properties":{"blob":"\#(String(repeating: "x", count: 500))"}"#)
            let batch = segmentBatch([
                segmentMessage("track", id: "ok-1"),
                #"{"type":"track","userId":"u-2","messageId":"bad-1"}"#,
                big,
                segmentMessage("page", id: "ok-2"),
            ])
            let answer = try expectAccepted(try await client.post("/v1/batch", batch))
            #expect(answer.accepted == 2 && answer.rejected == 2)
            #expect(answer.errors?.map(\.index) == [1, 2])
            #expect(answer.errors?.first?.reasons == ["event: is required for track"])
            #expect(answer.errors?.last?.reasons == ["event is over the limit of 400 bytes per event"])
        }
        #expect(harness.buffered("events") == 2)
        #expect(harness.buffered("rejected") == 2)
    }

    @Test("400: malformed JSON, wrong shapes, invalid single events (recorded in rejected), corrupt gzip")
    func badRequests() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            let malformed = try expectError(try await client.post("/v1/batch", #"{"batch":["#), 400)
            #expect(malformed.error.hasPrefix("malformed JSON"))
            try expectError(try await client.post("/v1/batch", "[1,2]"), 400)
            let notArray = try expectError(try await client.post("/v1/batch", #"{"batch":{}}"#), 400)
            #expect(notArray.error.contains("\"batch\" must be an array"))
            let sentAt = try expectError(try await client.post("/v1/batch", #"{"batch":[],"sentAt":"yesterday"}"#), 400)
            #expect(sentAt.errors == ["sentAt: is not an ISO-8601 timestamp"])
            try expectError(try await client.post("/events/batch", #"{"nope":1}"#), 400)

            // One invalid event on a single-event route: 400 naming every problem, and the event is kept in `rejected`.
            let invalid = try expectError(try await client.post("/v1/track", #"{"messageId":"x"}"#), 400)
            #expect(invalid.errors == ["userId: userId or anonymousId is required", "event: is required for track"])
            #expect(invalid.error == "validation failed: 2 errors")
            let cloud = try expectError(try await client.post("/events", #"{"specversion":"0.3","id":"e"}"#), 400)
            #expect(cloud.errors?.contains("specversion: must be 1.0") == true)
            #expect(cloud.errors?.contains("source: is required") == true)
            let binary = try expectError(try await client.post("/events", "x", headers: [
                HTTPField.Name("ce-specversion")!: "1.0", HTTPField.Name("ce-id")!: "b1", HTTPField.Name("ce-source")!: "/s",
                HTTPField.Name("ce-type")!: "t", HTTPField.Name("ce-time")!: "not a time",
            ]), 400)
            #expect(binary.errors == ["time: is not an RFC 3339 timestamp"])

            let corrupt = try expectError(try await client.post("/v1/batch", bytes: [0x1F, 0x8B, 0x08, 0, 1, 2, 3, 4, 5],
                                                                headers: [.contentEncoding: "gzip"]), 400)
            #expect(corrupt.error.hasPrefix("body is not valid gzip data"))
        }
        #expect(harness.buffered("events") == 0)
        #expect(harness.buffered("rejected") == 3)
    }

    @Test("strict batches: one invalid event refuses the batch with 400, every problem listed, nothing stored")
    func strictBatches() async throws {
        let harness = try HTTPHarness { $0.strictBatches = true }
        try await harness.run { client in
            let batch = segmentBatch([segmentMessage(), #"{"type":"group","userId":"u"}"#, #"{"type":"alias"}"#])
            let answer = try expectError(try await client.post("/v1/batch", batch), 400)
            #expect(answer.errors == [
                "batch[1].groupId: is required for group",
                "batch[2].userId: userId or anonymousId is required",
                "batch[2].previousId: is required for alias",
            ])
        }
        #expect(harness.components.buffer.stats().isEmpty)
    }

    @Test("404 in the envelope for an unknown route or Segment type")
    func unknownRoutes() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            let type = try expectError(try await client.post("/v1/purchase", segmentMessage()), 404)
            #expect(type.error == "unknown endpoint /v1/purchase")
            let path = try expectError(try await client.get("/nowhere"), 404)
            #expect(path.error == "no such endpoint: GET /nowhere")
        }
    }

    @Test("405 in the envelope, with Allow, for a method a known path does not take")
    func wrongMethods() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            let cases: [(method: HTTPRequest.Method, path: String, allow: String)] = [
                (.get, "/v1/batch", "POST"), (.put, "/events", "POST"), (.delete, "/health", "GET, HEAD"),
                (.post, "/debug/status/events", "GET, HEAD"), (.get, "/debug/flush", "POST"),
            ]
            for (method, path, allow) in cases {
                let response = try await client.execute(uri: path, method: method, headers: [:], body: nil)
                let error = try expectError(response, 405)
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
                #expect(error.error == "method \(method) is not allowed on \(path); allowed: \(allow)")
            }
        }
    }

    @Test("gzip, x-gzip and deflate (zlib or raw) bodies are inflated; identity is a no-op")
    func compressedBodies() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            let cases: [(encoding: String, compress: @Sendable ([UInt8]) -> [UInt8])] = [
                ("gzip", { Deflate.compress($0, gzip: true) }), ("x-gzip", { Deflate.compress($0, gzip: true) }),
                ("deflate", { Deflate.compress($0, gzip: false) }), ("Deflate", { Deflate.compress($0, gzip: false, raw: true) }),
                ("identity", { $0 }),
            ]
            for (index, (encoding, compress)) in cases.enumerated() {
                let body = Array(segmentBatch([segmentMessage(id: "z\(index)")]).utf8)
                let sent = compress(body)
                #expect(encoding == "identity" || sent != body)
                let answer = try expectAccepted(try await client.post("/v1/batch", bytes: sent,
                                                                       headers: [.contentEncoding: encoding]))
                #expect(answer.accepted == 1, "\(encoding)")
            }
            // A single-event route and /events take compressed bodies too.
            try expectAccepted(try await client.post("/v1/track", bytes: Deflate.compress(Array(segmentMessage().utf8), gzip: true),
                                                     headers: [.contentEncoding: "gzip"]))
            try expectAccepted(try await client.post("/events", bytes: Deflate.compress(Array(cloudEvent().utf8), gzip: false),
                                                     headers: [.contentEncoding: "deflate"]))
        }
        #expect(harness.buffered("events") == 6)
        #expect(harness.buffered("cloudevents") == 1)
    }

    @Test("a gzip body of several members inflates to all of them; bytes after the compressed data are a 400")
    func gzipMembersAndTrailingBytes() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            let body = Array(segmentBatch([segmentMessage(id: "m1"), segmentMessage(id: "m2")]).utf8)
            let half = body.count / 2
            let members = Deflate.compress(Array(body[..<half]), gzip: true) + Deflate.compress(Array(body[half...]), gzip: true)
            let answer = try expectAccepted(try await client.post("/v1/batch", bytes: members, headers: [.contentEncoding: "gzip"]))
            #expect(answer.accepted == 2)
            // Zero padding after the last member is tolerated, as gzip itself does.
            try expectAccepted(try await client.post("/v1/track", bytes: Deflate.compress(Array(segmentMessage(id: "m3").utf8), gzip: true)
                                                     + [0, 0, 0, 0], headers: [.contentEncoding: "gzip"]))
            for (encoding, gzip) in [("gzip", true), ("deflate", false)] {
                let trailing = Deflate.compress(Array(segmentMessage(id: "m4").utf8), gzip: gzip) + Array("junk".utf8)
                let refused = try expectError(try await client.post("/v1/track", bytes: trailing, headers: [.contentEncoding: encoding]), 400)
                #expect(refused.error.contains("4 bytes follow the end of the compressed data"), "\(encoding): \(refused.error)")
            }
        }
        #expect(harness.buffered("events") == 3)
    }

    @Test("413: a batch over max_batch_bytes, a single event over max_event_bytes, a gzip body inflating past the limit")
    func tooLarge() async throws {
        let harness = try HTTPHarness {
            $0.maxBatchBytes = 2_048
            $0.maxEventBytes = 1_024
        }
        try await harness.run { client in
            let batch = segmentBatch((0..<20).map { segmentMessage(id: "big-\($0)") })
            #expect(batch.utf8.count > 2_048)
            let over = try expectError(try await client.post("/v1/batch", batch), 413)
            #expect(over.error == "request body is larger than the limit of 2048 bytes")
            let event = segmentMessage(extra: #""properties":{"blob":"\#(String(repeating: "y", count: 1_100))"}"#)
            try expectError(try await client.post("/v1/track", event), 413)
            try expectError(try await client.post("/events", String(repeating: " ", count: 1_025) + cloudEvent()), 413)

            // 64 KiB of spaces compress to well under the limit but inflate past it.
            let bomb = Deflate.compress(Array(repeating: UInt8(ascii: " "), count: 64 << 10), gzip: true)
            #expect(bomb.count < 2_048)
            let inflated = try expectError(try await client.post("/v1/batch", bytes: bomb, headers: [.contentEncoding: "gzip"]), 413)
            #expect(inflated.error == "decompressed body is larger than the limit of 2048 bytes")
        }
        #expect(harness.components.buffer.stats().isEmpty)
    }

    @Test("strict batches: an event over max_event_bytes refuses the batch with 413 naming it")
    func strictEventTooLarge() async throws {
        let harness = try HTTPHarness {
            $0.strictBatches = true
            $0.maxEventBytes = 300
        }
        try await harness.run { client in
            let big = segmentMessage(extra: #""properties":{"blob":"\#(String(repeating: "y", count: 400))"}"#)
            let answer = try expectError(try await client.post("/v1/batch", segmentBatch([segmentMessage(), big])), 413)
            #expect(answer.errors?.count == 1)
            #expect(answer.errors?.first?.hasPrefix("batch[1]: event is ") == true)
        }
        #expect(harness.components.buffer.stats().isEmpty)
    }

    @Test("415: a content type that is not JSON, an unknown Content-Encoding")
    func unsupportedMediaType() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            let type = try expectError(try await client.post("/v1/batch", segmentBatch([segmentMessage()]),
                                                             headers: [.contentType: "application/xml"]), 415)
            #expect(type.error.contains("application/xml"))
            try expectError(try await client.post("/v1/track", segmentMessage(), headers: [.contentType: "text/html"]), 415)
            try expectError(try await client.post("/events/batch", "[]", headers: [.contentType: "multipart/form-data"]), 415)
            let encoding = try expectError(try await client.post("/v1/batch", segmentBatch([segmentMessage()]),
                                                                 headers: [.contentEncoding: "br"]), 415)
            #expect(encoding.error == "unsupported content encoding 'br'; use gzip or deflate")
        }
        #expect(harness.components.buffer.stats().isEmpty)
    }
}

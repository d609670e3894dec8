import Buffer
@testable import Collector
import Parquet
import Testing

@Suite("SegmentNormalizer")
struct SegmentNormalizerTests {
    let receivedAt: Int64 = 1_800_000_000_000_000

    func normalize(_ text: String, type: SegmentNormalizer.MessageType? = nil, batch: SegmentNormalizer.BatchFields = .init(),
                   ip: String? = "10.1.2.3") throws -> Result<[ColumnData], ValidationErrors> {
        let tape = try JSONTape(parsing: Array(text.utf8))
        let normalizer = SegmentNormalizer(tape: tape, request: IngestContext(receivedAt: receivedAt, clientIP: ip))
        var events = EventBatch()
        if let errors = normalizer.normalize(message: tape.root, batch: batch, pathType: type, index: nil, into: &events) {
            #expect(events.isEmpty)
            return .failure(errors)
        }
        #expect(events.count == 1)
        var decoder = RowBatchDecoder(table: .events)
        try decoder.append(events.row(0))
        return .success(decoder.columns())
    }

    func string(_ column: ColumnData) -> String? {
        guard case .byteArray(let buffer, let validity) = column else { return nil }
        if validity?.first == false { return nil }
        return String(decoding: buffer.bytes, as: UTF8.self)
    }

    func int64(_ column: ColumnData) -> Int64? {
        guard case .int64(let values, let validity) = column, validity?.first != false else { return nil }
        return values.first
    }

    @Test("client clock skew is corrected from sentAt")
    func skewCorrection() throws {
        let columns = try normalize(#"""
            {"type":"track","event":"E","userId":"u","timestamp":"2026-11-01T00:00:00Z","sentAt":"2026-11-01T00:00:02Z",
             "properties":{"a": 1.50}}
            """#).get()
        #expect(int64(columns[EventsColumn.timestamp]) == receivedAt - 2_000_000)
        #expect(int64(columns[EventsColumn.originalTimestamp]) == 1_793_491_200_000_000)
        #expect(int64(columns[EventsColumn.receivedAt]) == receivedAt)
        #expect(string(columns[EventsColumn.properties]) == #"{"a": 1.50}"#)
        #expect(string(columns[EventsColumn.event]) == "E")
    }

    @Test("beside originalTimestamp, timestamp is already corrected: kept as sent, the device time stored as original")
    func forwardedTimes() throws {
        let columns = try normalize(#"""
            {"type":"track","event":"E","userId":"u","timestamp":"2026-11-01T00:00:00Z",
             "originalTimestamp":"2026-11-01T01:00:00Z","sentAt":"2026-11-01T01:00:02Z"}
            """#).get()
        #expect(int64(columns[EventsColumn.timestamp]) == 1_793_491_200_000_000)
        #expect(int64(columns[EventsColumn.originalTimestamp]) == 1_793_494_800_000_000)
        // Both are read, so both must be times.
        let bad = try normalize(#"{"type":"track","event":"E","userId":"u","timestamp":"2026-11-01T00:00:00Z","originalTimestamp":"?"}"#)
        guard case .failure(let errors) = bad else { Issue.record("accepted a bad originalTimestamp"); return }
        #expect(errors.issues.map(\.field) == ["originalTimestamp"])
    }

    @Test("a skew correction that leaves the years 0000-9999 keeps the receipt time (even without a timestamp policy)",
          arguments: [("0000-01-01T00:00:00Z", "2060-01-01T00:00:00Z"), ("9999-01-01T00:00:00Z", "2000-01-01T00:00:00Z")])
    func skewOutOfRange(_ timestamp: String, _ sentAt: String) throws {
        let columns = try normalize(#"{"type":"track","event":"E","userId":"u","timestamp":"\#(timestamp)","sentAt":"\#(sentAt)"}"#).get()
        #expect(int64(columns[EventsColumn.timestamp]) == receivedAt)
        #expect(int64(columns[EventsColumn.originalTimestamp]) == Timestamp.parse(Array(timestamp.utf8)))
    }

    @Test("member names written with escapes are the same members")
    func escapedNames() throws {
        let columns = try normalize(#"""
            {"type":"track","\u0065vent":"E","userId":"u","\u0074imestamp":"2026-11-01T00:00:00Z","propert\u0069es":{"a":1}}
            """#).get()
        #expect(string(columns[EventsColumn.event]) == "E")
        #expect(int64(columns[EventsColumn.originalTimestamp]) == 1_793_491_200_000_000)
        #expect(string(columns[EventsColumn.properties]) == #"{"a":1}"#)
    }

    @Test("without sentAt the timestamp is kept; without both, received_at is used")
    func timestampFallbacks() throws {
        let kept = try normalize(#"{"type":"page","anonymousId":"a","timestamp":"2026-11-01T00:00:00Z"}"#).get()
        #expect(int64(kept[EventsColumn.timestamp]) == 1_793_491_200_000_000)
        let none = try normalize(#"{"type":"page","anonymousId":"a"}"#).get()
        #expect(int64(none[EventsColumn.timestamp]) == receivedAt)
    }

    @Test("batch context is merged and ip is filled from the request")
    func contextMerge() throws {
        let text = #"{"batch":[{"type":"identify","userId":"u","context":{"locale":"de"}}],"context":{"library":{"name":"x"},"locale":"en"}}"#
        let tape = try JSONTape(parsing: Array(text.utf8))
        let members = Array(tape.members(of: tape.root))
        let message = try #require(tape.elements(of: members[0].value).first)
        let normalizer = SegmentNormalizer(tape: tape, request: IngestContext(receivedAt: receivedAt, clientIP: "10.0.0.9"))
        var events = EventBatch()
        #expect(normalizer.normalize(message: message, batch: .init(context: members[1].value), pathType: nil, index: 0,
                                     into: &events) == nil)
        var decoder = RowBatchDecoder(table: .events)
        try decoder.append(events.row(0))
        let context = string(decoder.columns()[EventsColumn.context])
        #expect(context == #"{"locale":"de","library":{"name":"x"},"ip":"10.0.0.9"}"#)
    }

    @Test("the path decides the type and a messageId is generated when absent")
    func pathTypeAndMessageId() throws {
        let columns = try normalize(#"{"type":"page","event":"Signed Up","userId":"u"}"#, type: .track).get()
        #expect(string(columns[EventsColumn.type]) == "track")
        #expect(string(columns[EventsColumn.messageId])?.count == 36)
    }

    @Test("members are read in place, escaped or not: the type, required text and timestamps")
    func escapedMembers() throws {
        let columns = try normalize(#"""
            {"type":"tr\u0061ck","event":"\u0045","userId":0,"timestamp":"2026-11-01T00:00:00\u005a",
             "sentAt":"2026-11-01T00:00:00Z"}
            """#).get()
        #expect(string(columns[EventsColumn.type]) == "track")
        #expect(string(columns[EventsColumn.event]) == "E")
        #expect(string(columns[EventsColumn.userId]) == "0")
        #expect(int64(columns[EventsColumn.originalTimestamp]) == 1_793_491_200_000_000)
        // A batch's sentAt (escaped) corrects the clock skew of a message that has none of its own.
        let body = #"{"batch":[{"type":"page","userId":"u","timestamp":"2026-11-01T00:00:00Z"}],"sentAt":"2026-11-01T00:00:0\u0032Z"}"#
        let tape = try JSONTape(parsing: Array(body.utf8))
        let members = Array(tape.members(of: tape.root))
        let message = try #require(tape.elements(of: members[0].value).first)
        let normalizer = SegmentNormalizer(tape: tape, request: IngestContext(receivedAt: receivedAt, clientIP: nil))
        var events = EventBatch()
        #expect(normalizer.normalize(message: message, batch: .init(of: tape.root, in: tape), pathType: nil, index: 0,
                                     into: &events) == nil)
        var decoder = RowBatchDecoder(table: .events)
        try decoder.append(events.row(0))
        #expect(int64(decoder.columns()[EventsColumn.timestamp]) == receivedAt - 2_000_000)
    }

    @Test("every message type is read from its name, and only from it")
    func messageTypeNames() throws {
        for type in SegmentNormalizer.MessageType.allCases {
            let tape = try JSONTape(parsing: Array("\"\(type.rawValue)\"".utf8))
            #expect(SegmentNormalizer.MessageType(entry: tape.root, in: tape) == type)
            let longer = try JSONTape(parsing: Array("\"\(type.rawValue)s\"".utf8))
            #expect(SegmentNormalizer.MessageType(entry: longer.root, in: longer) == nil)
        }
    }

    @Test("validation lists every problem", arguments: [
        (#"{"type":"track","userId":"u"}"#, ["event: is required for track"]),
        (#"{"type":"alias","userId":"u"}"#, ["previousId: is required for alias"]),
        (#"{"type":"group","anonymousId":"a"}"#, ["groupId: is required for group"]),
        (#"{"type":"identify"}"#, ["userId: userId or anonymousId is required"]),
        (#"{"type":"bogus","userId":"u"}"#, ["type: unknown message type; expected one of track, identify, page, screen, group, alias"]),
        (#"{"type":"track","userId":"u","event":"e","timestamp":"nope","properties":[1]}"#,
         ["properties: must be an object", "timestamp: is not an ISO-8601 timestamp"]),
        (#"{"userId":"u","event":5}"#, ["type: is required"]),
        (#"{"type":5,"userId":"u"}"#, ["type: unknown message type; expected one of track, identify, page, screen, group, alias"]),
        (#"{"type":"tracks","userId":"u","event":"e"}"#, ["type: unknown message type; expected one of track, identify, page, screen, group, alias"]),
        (#"{"type":"track","userId":"","anonymousId":null,"event":""}"#,
         ["userId: userId or anonymousId is required", "event: is required for track"]),
        (#"{"type":"track","userId":"u","event":"e","timestamp":"2026-11-01T00:00:00Zx"}"#, ["timestamp: is not an ISO-8601 timestamp"]),
    ])
    func validation(_ text: String, _ expected: [String]) throws {
        guard case .failure(let errors) = try normalize(text) else {
            Issue.record("expected a failure for \(text)")
            return
        }
        #expect(errors.issues.map(\.description).sorted() == expected.sorted())
    }
}

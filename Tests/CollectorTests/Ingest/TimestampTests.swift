import Foundation
@testable import Collector
import Testing

@Suite("Timestamp")
struct TimestampTests {
    @Test("ISO-8601 forms parse to microseconds", arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-01T01:22:07.183Z", Int64(1_793_496_127_183_000)),
        ("2026-11-01T03:22:11.848570Z", Int64(1_793_503_331_848_570)),
        ("2026-11-01T03:22:11.8485709Z", Int64(1_793_503_331_848_570)),
        ("2026-11-01T04:22:11+01:00", Int64(1_793_503_331_000_000)),
        ("2026-11-01 03:22:11", Int64(1_793_503_331_000_000)),
        ("1969-12-31T23:59:59.5Z", Int64(-500_000)),
        ("2024-02-29T12:00:00.000+0000", Int64(1_709_208_000_000_000)),
    ])
    func parses(_ text: String, _ micros: Int64) {
        #expect(Timestamp.parse(Array(text.utf8)) == micros)
    }

    @Test("malformed timestamps are rejected", arguments: [
        "", "2026-11-01", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-01T24:00:00Z",
        "2026-11-01T00:00:00.Z", "2026-11-01T00:00:00Zjunk", "yesterday",
        // Offsets that leave the years 0000-9999, which an hour label cannot name.
        "0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01",
    ])
    func rejects(_ text: String) {
        #expect(Timestamp.parse(Array(text.utf8)) == nil)
    }

    @Test("the first and last storable times parse, and their hours' labels round-trip")
    func storableBounds() {
        #expect(Timestamp.parse(Array("0000-01-01T00:00:00Z".utf8)) == Timestamp.storable.lowerBound)
        #expect(Timestamp.parse(Array("9999-12-31T23:59:59.999999Z".utf8)) == Timestamp.storable.upperBound)
        for micros in [Timestamp.storable.lowerBound, Timestamp.storable.upperBound] {
            let hours = Timestamp.hours(micros)
            #expect(Timestamp.hours(fromLabel: Substring(Timestamp.hourLabel(hours))) == hours)
        }
    }

    @Test("hour labels round-trip", arguments: [Int32(0), 498_797, -1, -25, 1_000_000])
    func hourLabels(_ hours: Int32) {
        let label = Timestamp.hourLabel(hours)
        #expect(Timestamp.hours(fromLabel: Substring(label)) == hours)
    }

    @Test("hours floor toward negative infinity")
    func hoursFloor() {
        #expect(Timestamp.hours(-1) == -1)
        #expect(Timestamp.hours(3_599_999_999) == 0)
        #expect(Timestamp.hourLabel(498_797) == "2026-11-26-05")
    }
}

@Suite("MessageIdGenerator")
struct MessageIdGeneratorTests {
    @Test("generated ids are distinct version-4 UUIDs")
    func uuids() {
        let ids = (0..<10_000).map { _ in MessageIdGenerator.next() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let parsed = UUID(uuidString: id)
            #expect(parsed != nil && id == id.lowercased())
            let characters = Array(id)
            #expect(characters[14] == "4")
            #expect("89ab".contains(characters[19]))
        }
    }
}

@testable import Collector
import HTTPTypes
import Testing

/// The header lookups the ingest routes make on every request (`HTTPFields+Floe.swift`).
@Suite("HTTP header lookups")
struct HTTPFieldsLookupTests {
    @Test("firstValue returns the first of repeated fields as sent, nil when absent")
    func firstValue() {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .contentType, value: "application/json; charset=utf-8"))
        fields.append(HTTPField(name: .contentType, value: "text/plain"))
        #expect(fields.firstValue(.contentType) == "application/json; charset=utf-8")
        #expect(fields[.contentType] == "application/json; charset=utf-8, text/plain")
        #expect(fields.firstValue(.authorization) == nil)
    }

    @Test("value(named:) matches names case-insensitively, whatever case the caller or the client used")
    func valueNamed() throws {
        var fields = HTTPFields()
        fields.append(HTTPField(name: try #require(HTTPField.Name("X-Request-ID")), value: "r-1"))
        #expect(fields.value(named: "X-Request-Id") == "r-1")
        #expect(fields.value(named: "x-request-id") == "r-1")
        #expect(fields.value(named: "CF-Ray") == nil)
    }
}

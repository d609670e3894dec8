@testable import Collector
import HTTPTypes
import Testing

/// The header lookups the ingest routes make on every request (`HTTPFields+Floe.swift`).
@Suite("HTTP header lookups")
struct HTTPFieldsLookupTests {
    @Test("value(_:) answers as the subscript does: one field as sent, repeated fields joined, nil when absent")
    func valueByName() throws {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .contentType, value: "application/json; charset=utf-8"))
        #expect(fields.value(.contentType) == "application/json; charset=utf-8")
        fields.append(HTTPField(name: .authorization, value: "Bearer right"))
        fields.append(HTTPField(name: .authorization, value: "Bearer wrong"))
        #expect(fields.value(.authorization) == "Bearer right, Bearer wrong")
        #expect(fields.value(.authorization) == fields[.authorization])
        #expect(fields.value(.origin) == nil)
    }

    @Test("value(named:) matches names case-insensitively, whatever case the caller or the client used")
    func valueNamed() throws {
        var fields = HTTPFields()
        fields.append(HTTPField(name: try #require(HTTPField.Name("X-Request-ID")), value: "r-1"))
        #expect(fields.value(named: "X-Request-Id") == "r-1")
        #expect(fields.value(named: "x-request-id") == "r-1")
        #expect(fields.value(named: "CF-Ray") == nil)
    }

    @Test("a JSON Content-Type is recognized in place: case, blanks and parameters ignored, +json types, long ones")
    func jsonMediaTypes() {
        for accepted in ["application/json", "Application/JSON; charset=utf-8", " text/plain ", "application/cloudevents+json",
                         "application/cloudevents-batch+json;charset=UTF-8", "application/vnd.segment+json",
                         "application/vnd.example.a-media-type-name-well-over-the-in-place-limit+json; v=1"] {
            #expect(RequestBody.isJSON(accepted), "\(accepted)")
        }
        for refused in ["application/xml", "application/jsonx", "json", "", "text/html; x=application/json",
                        "application/vnd.example.a-media-type-name-well-over-the-in-place-limit+xml"] {
            #expect(!RequestBody.isJSON(refused), "\(refused)")
        }
    }
}

@testable import Collector
import Testing

/// Binary-mode header values decoded as the CloudEvents HTTP binding says (its §3.1.3.2).
@Suite("CloudEventHeaderValue")
struct CloudEventHeaderValueTests {
    @Test("percent-decoding in either case, stray % kept, quoted strings unquoted", arguments: [
        ("Euro%20%E2%82%AC%20%F0%9F%98%80", "Euro € 😀"),
        ("a%2fb%2Fc", "a/b/c"),
        ("plain", "plain"),
        ("50% off%21", "50% off!"),
        ("100%", "100%"),
        ("%4", "%4"),
        (#""hello world""#, "hello world"),
        (#""a\"b\\c""#, #"a"b\c"#),
        (#""%41""#, "A"),
        (#""a"b""#, #""a"b""#),
        (#"""#, #"""#),
        (#""""#, ""),
        (#""abc\""#, #""abc\""#),
    ])
    func decodes(_ value: String, _ expected: String) {
        #expect(CloudEventHeaderValue.decode(value).map { String(decoding: $0, as: UTF8.self) } == expected)
    }

    @Test("bytes that are not UTF-8 once decoded are refused", arguments: ["a%C0%A0b", "%FF", "%E2%82", "%ED%A0%80"])
    func refuses(_ value: String) {
        #expect(CloudEventHeaderValue.decode(value) == nil)
    }
}

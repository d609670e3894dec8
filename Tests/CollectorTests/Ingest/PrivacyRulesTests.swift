@testable import Collector
import Crypto
import Testing

/// `PrivacyRules`: one rule per member, the address Floe adds under the same rule as one a client sent, and what
/// the `rejected` table records of a message.
@Suite("Privacy rules")
struct PrivacyRulesTests {
    private func sha(_ salt: String, _ value: String) -> String {
        SHA256.hash(data: Array((salt + value).utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    @Test("a member with two rules is refused at start, naming it")
    func twoRules() {
        for (clientIP, drop, hash) in [(PrivacyRules.ClientIP.keep, ["properties.email"], ["properties.email"]),
                                       (.truncate, ["context.ip"], []), (.truncate, [], ["context.ip"]),
                                       (.drop, [], ["context.ip"])] {
            #expect(throws: ConfigurationError.self) {
                _ = try PrivacyRules(clientIP: clientIP, drop: drop, hash: hash, salt: "s")
            }
        }
        // The same rule twice is one rule.
        #expect(throws: Never.self) { _ = try PrivacyRules(clientIP: .drop, drop: ["context.ip", "context.ip"]) }
    }

    @Test("the address Floe adds follows the rule for context.ip: client_ip, privacy.drop or privacy.hash")
    func addedAddress() throws {
        #expect(try PrivacyRules().clientAddress("192.0.2.7") == "192.0.2.7")
        #expect(try PrivacyRules(clientIP: .truncate).clientAddress("192.0.2.7") == "192.0.2.0")
        #expect(try PrivacyRules(clientIP: .drop).clientAddress("192.0.2.7") == nil)
        #expect(try PrivacyRules(drop: ["context.ip"]).clientAddress("192.0.2.7") == nil)
        #expect(try PrivacyRules(hash: ["context.ip"], salt: "s").clientAddress("192.0.2.7") == sha("s", "192.0.2.7"))
        // A rule below another member of context leaves the address alone.
        #expect(try PrivacyRules(drop: ["context.traits.email"]).clientAddress("192.0.2.7") == "192.0.2.7")
    }

    @Test("a rejected message is recorded without its writeKey, rules or none; a value that is not an object not at all")
    func recordedMessage() throws {
        let text = #"{"writeKey":"wk_live_SECRET","event":"","properties":{"writeKey":"kept","email":"a@x"}}"#
        let tape = try JSONTape(parsing: Array(text.utf8))
        let plain = String(decoding: PrivacyRules.noRules.message(tape.root, in: tape), as: UTF8.self)
        #expect(plain == #"{"event":"","properties":{"writeKey":"kept","email":"a@x"}}"#)
        let rules = try PrivacyRules(drop: ["properties.email"])
        #expect(String(decoding: rules.message(tape.root, in: tape), as: UTF8.self) == #"{"event":"","properties":{"writeKey":"kept"}}"#)

        let encoded = #""{\"writeKey\":\"wk_live_SECRET\",\"properties\":{\"password\":\"hunter2\"}}""#
        let string = try JSONTape(parsing: Array(encoded.utf8))
        #expect(PrivacyRules.noRules.message(string.root, in: string).isEmpty)
        #expect(rules.recorded(json: Array(encoded.utf8)[...], isSegment: true).isEmpty)
        #expect(PrivacyRules.noRules.recorded(json: Array(text.utf8)[...], isSegment: true).elementsEqual(
            #"{"event":"","properties":{"writeKey":"kept","email":"a@x"}}"#.utf8))
        // CloudEvents are recorded as sent: the rules and the writeKey are Segment's.
        #expect(rules.recorded(json: Array(text.utf8)[...], isSegment: false).elementsEqual(text.utf8))
    }
}

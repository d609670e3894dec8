@testable import Parquet
import Testing

@Suite("BoundTruncation")
struct BoundTruncationTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var value: String
        var lower: String
        var upper: String?
        var description: String { name }
    }

    static let a61 = String(repeating: "a", count: 61)

    @Test("strings are cut on a code point boundary and the max rounded up", arguments: [
        Case(name: "short strings are exact", value: "hello", lower: "hello", upper: "hello"),
        Case(name: "64 bytes are exact", value: String(repeating: "q", count: 64),
             lower: String(repeating: "q", count: 64), upper: String(repeating: "q", count: 64)),
        Case(name: "ASCII", value: String(repeating: "a", count: 100),
             lower: String(repeating: "a", count: 64), upper: String(repeating: "a", count: 63) + "b"),
        Case(name: "2-byte code points", value: String(repeating: "é", count: 40),
             lower: String(repeating: "é", count: 32), upper: String(repeating: "é", count: 31) + "ê"),
        Case(name: "4-byte code points", value: String(repeating: "😀", count: 20),
             lower: String(repeating: "😀", count: 16), upper: String(repeating: "😀", count: 15) + "😁"),
        Case(name: "a code point across the cut is dropped", value: String(repeating: "x", count: 62) + "😀 tail",
             lower: String(repeating: "x", count: 62), upper: String(repeating: "x", count: 61) + "y"),
        Case(name: "incrementing skips the surrogates", value: a61 + "\u{D7FF}zz",
             lower: a61 + "\u{D7FF}", upper: a61 + "\u{E000}"),
        Case(name: "U+10FFFF is dropped before incrementing",
             value: String(repeating: "a", count: 59) + "b\u{10FFFF}zz",
             lower: String(repeating: "a", count: 59) + "b\u{10FFFF}", upper: String(repeating: "a", count: 59) + "c"),
        Case(name: "no upper bound above all-U+10FFFF", value: String(repeating: "\u{10FFFF}", count: 20),
             lower: String(repeating: "\u{10FFFF}", count: 16), upper: nil),
    ])
    func strings(_ c: Case) {
        let value = Array(c.value.utf8)
        let lower = BoundTruncation.lowerBound(value, isString: true)
        let upper = BoundTruncation.upperBound(value, isString: true)
        #expect(lower == Array(c.lower.utf8), "\(String(decoding: lower, as: UTF8.self)) != \(c.lower)")
        #expect(upper == c.upper.map { Array($0.utf8) },
                "\(upper.map { String(decoding: $0, as: UTF8.self) } ?? "nil") != \(c.upper ?? "nil")")
    }

    @Test("binary upper bounds increment the last byte below 0xFF")
    func binary() {
        let value = Array(repeating: UInt8(1), count: 63) + [0xFF] + Array(repeating: UInt8(5), count: 10)
        #expect(BoundTruncation.lowerBound(value, isString: false) == Array(value[0..<64]))
        #expect(BoundTruncation.upperBound(value, isString: false) == Array(repeating: 1, count: 62) + [2])
        #expect(BoundTruncation.upperBound(Array(repeating: 0xFF, count: 70), isString: false) == nil)
    }

    @Test("random strings get valid UTF-8 bounds around the value")
    func randomStrings() throws {
        var random = SplitMix(state: 3)
        let alphabet: [Character] = ["a", "z", "é", "ß", "日", "本", "😀", "\u{10FFFF}", "\u{D7FF}", "~"]
        for _ in 0..<500 {
            let length = Int(random.next() % 60) + 1
            let text = String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            let value = Array(text.utf8)
            let lower = BoundTruncation.lowerBound(value, isString: true)
            #expect(lower.count <= 64)
            #expect(!value.lexicographicallyPrecedes(lower))
            #expect(String(validating: lower, as: UTF8.self) != nil)
            if let upper = BoundTruncation.upperBound(value, isString: true) {
                #expect(!upper.lexicographicallyPrecedes(value))
                #expect(upper.count <= 68)
                #expect(String(validating: upper, as: UTF8.self) != nil)
            }
        }
    }
}

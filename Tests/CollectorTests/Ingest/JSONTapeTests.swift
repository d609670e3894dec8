@testable import Collector
import Testing

@Suite("JSONTape")
struct JSONTapeTests {
    @Test("valid documents parse and keep raw member bytes", arguments: [
        #"{"a":1,"b":{"c":[true,false,null]},"d":"x\"y"}"#,
        #"  [1, -2.5e+3, 0.0, "é", "\ud83d\ude00"]  "#,
        #""just a string""#,
        "0",
    ])
    func validDocuments(_ text: String) throws {
        let tape = try JSONTape(parsing: Array(text.utf8))
        #expect(!tape.entries.isEmpty)
    }

    @Test("invalid documents are rejected with an offset", arguments: [
        "", "{", #"{"a":}"#, #"{"a" 1}"#, "[1,]", "01", "1.", "-", "tru", #""\x""#, #""\u12"#, "{} x",
        "[1 2]", #"{"a":1,}"#, "\"line\nbreak\"", "NaN",
    ])
    func invalidDocuments(_ text: String) {
        #expect(throws: JSONError.self) { try JSONTape(parsing: Array(text.utf8)) }
    }

    @Test("invalid UTF-8 in strings is rejected", arguments: [
        [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
    ] as [[UInt8]])
    func invalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: JSONError.self) { try JSONTape(parsing: bytes) }
    }

    @Test("the word-at-a-time string scan stops at every special byte, wherever it falls")
    func specialBytesAtEveryOffset() throws {
        let plain = Array("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH".utf8)
        for offset in 0..<plain.count {
            func document(_ inserted: [UInt8]) -> [UInt8] {
                [0x5B, 0x22] + plain[..<offset] + inserted + plain[offset...] + [0x22, 0x2C, 0x31, 0x5D]
            }
            // A quote ends the string early: what follows is not JSON.
            #expect(throws: JSONError.self) { try JSONTape(parsing: document([0x22])) }
            // Control characters and invalid UTF-8 are rejected.
            #expect(throws: JSONError.self) { try JSONTape(parsing: document([0x0A])) }
            #expect(throws: JSONError.self) { try JSONTape(parsing: document([0x1F])) }
            #expect(throws: JSONError.self) { try JSONTape(parsing: document([0xFF])) }
            #expect(throws: JSONError.self) { try JSONTape(parsing: document([0xC3])) }
            // Escapes and valid multi-byte characters are kept, with the string's exact range.
            for inserted in [Array(#"\""#.utf8), Array(#"\u00e9"#.utf8), Array("é€😀".utf8), [0x20], [0x7E]] {
                let bytes = document(inserted)
                let tape = try JSONTape(parsing: bytes)
                let string = tape.elements(of: tape.root)[0]
                #expect(tape.raw(string).count == plain.count + inserted.count + 2)
                #expect(tape.entries[string].hasEscapes == (inserted.first == 0x5C))
            }
        }
    }

    @Test("nesting past the limit is an error, not a stack overflow")
    func depthLimit() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000) + Array(repeating: UInt8(ascii: "]"), count: 100_000)
        #expect(throws: JSONError.self) { try JSONTape(parsing: deep) }
        let ok = Array(repeating: UInt8(ascii: "["), count: 100) + Array(repeating: UInt8(ascii: "]"), count: 100)
        #expect(throws: Never.self) { try JSONTape(parsing: ok) }
    }

    @Test("members, elements and decoded strings")
    func access() throws {
        let text = #"{"name":"a\u00e9\n\ud83d\ude00","list":[1,{"x":2},[3]],"obj":{"k":"v"}}"#
        let tape = try JSONTape(parsing: Array(text.utf8))
        let members = Array(tape.members(of: tape.root))
        #expect(members.map { tape.string($0.key) } == ["name", "list", "obj"])
        #expect(tape.string(members[0].value) == "aé\n😀")
        #expect(tape.elements(of: members[1].value).map { String(decoding: tape.raw($0), as: UTF8.self) } == ["1", #"{"x":2}"#, "[3]"])
        #expect(String(decoding: tape.raw(members[2].value), as: UTF8.self) == #"{"k":"v"}"#)
        #expect(tape.stringEquals(members[2].key, "obj"))
        #expect(!tape.stringEquals(members[2].key, "ob"))
    }

    @Test("the densest documents fit the room the parser reserves, and a reused array gives the same tape", arguments: [
        "1", "[]", "[1]", "[1,2,3,4,5,6,7,8,9]", "[[[[[[1]]]]]]", "[[],[],[[]],[[],[]]]", #"{"":1,"":[],"":{"":""}}"#,
        #"[{},{"":0},[""]]"#,
        // Denser than a first guess of one entry per 6 bytes: parsed again into the full room.
        "[" + String(repeating: "1,", count: 1_000) + "1]", "[" + String(repeating: "[],", count: 700) + "{}]",
    ])
    func densestDocuments(_ text: String) throws {
        let bytes = Array(text.utf8)
        let fresh = try JSONTape(parsing: bytes)
        let used = Int(fresh.entries[fresh.root].next)
        #expect(used == fresh.entries.count)
        // The bound is tight for some of these: every value but the document takes two bytes.
        #expect(used <= JSONTape.maxEntries(byteCount: bytes.count))
        // A worker's array, left longer by a bigger line (stale entries past this one's) or shorter.
        for previous in [#"{"a":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20],"b":"c"}"#, "0"] {
            var storage: [JSONTape.Entry] = []
            storage = try JSONTape(parsing: Array(previous.utf8)[...], reusing: &storage).entries
            let reused = try JSONTape(parsing: bytes[...], reusing: &storage)
            #expect(reused.entries.count >= used)
            for index in 0..<used {
                #expect(reused.kind(index) == fresh.kind(index))
                #expect(reused.raw(index) == fresh.raw(index))
                #expect(reused.entries[index].next == fresh.entries[index].next)
            }
        }
    }

    @Test("a typical body gets room for its likely entries, not for the densest document of its size")
    func typicalBodyRoom() throws {
        let event = #"{"type":"track","event":"Order Completed","userId":"user-8c1f3a","anonymousId":"4f0e2b6e-8a1c-4c3e-9f2d-1b7a6c5d4e3f","#
            + #""messageId":"msg-2f1e0d9c-7b6a-4c5d-8e9f","timestamp":"2026-11-29T10:15:30.123Z","#
            + #""properties":{"orderId":"ord-12345","total":129.95,"currency":"EUR"},"#
            + #""context":{"ip":"203.0.113.7","userAgent":"Mozilla/5.0 (X11; Linux x86_64)","library":{"name":"analytics.js","version":"4.1.0"}}}"#
        let bytes = Array(("{\"batch\":[" + Array(repeating: event, count: 500).joined(separator: ",") + "]}").utf8)
        let tape = try JSONTape(parsing: bytes)
        #expect(tape.entries.count == Int(tape.entries[tape.root].next))
        #expect(tape.entries.count <= JSONTape.likelyEntries(byteCount: bytes.count))
        #expect(tape.entries.capacity < JSONTape.maxEntries(byteCount: bytes.count) / 2)
        // The same tape as a parse into the full room (a worker's reused array).
        var storage: [JSONTape.Entry] = []
        let full = try JSONTape(parsing: bytes[...], reusing: &storage)
        #expect(full.entries.capacity >= JSONTape.maxEntries(byteCount: bytes.count))
        let differing = (0..<tape.entries.count).filter {
            full.entries[$0].next != tape.entries[$0].next || full.raw($0) != tape.raw($0)
        }
        #expect(differing.isEmpty)
    }
}

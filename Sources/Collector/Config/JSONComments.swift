/// JSON with comments, as `Config/floe.example.jsonc` is written: `//` to the end of the line and `/* ... */`,
/// outside strings, anywhere a space may be. Each comment byte becomes a space (newlines stay), so that a
/// JSON error's line and column are the file's.
enum JSONComments {
    /// A `/*` comment that is never closed.
    struct Unterminated: Error, CustomStringConvertible {
        var line: Int
        var description: String { "a /* comment from line \(line) is not closed" }
    }

    /// `text` with its comments blanked out.
    static func strip(_ text: [UInt8]) throws -> [UInt8] {
        var output = text
        var index = 0
        var inString = false
        while index < output.count {
            let byte = output[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "/"), index + 1 < output.count, output[index + 1] == UInt8(ascii: "/") {
                while index < output.count, output[index] != UInt8(ascii: "\n") {
                    output[index] = UInt8(ascii: " ")
                    index += 1
                }
                continue
            } else if byte == UInt8(ascii: "/"), index + 1 < output.count, output[index + 1] == UInt8(ascii: "*") {
                let line = 1 + output[..<index].count { $0 == UInt8(ascii: "\n") }
                output[index] = UInt8(ascii: " ")
                output[index + 1] = UInt8(ascii: " ")
                index += 2
                while true {
                    guard index < output.count else { throw Unterminated(line: line) }
                    if output[index] == UInt8(ascii: "*"), index + 1 < output.count, output[index + 1] == UInt8(ascii: "/") {
                        output[index] = UInt8(ascii: " ")
                        output[index + 1] = UInt8(ascii: " ")
                        index += 2
                        break
                    }
                    if output[index] != UInt8(ascii: "\n") { output[index] = UInt8(ascii: " ") }
                    index += 1
                }
                continue
            }
            index += 1
        }
        return output
    }
}

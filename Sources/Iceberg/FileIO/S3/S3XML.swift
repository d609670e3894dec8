import Foundation

/// Just enough XML reading for S3's flat responses: the text of elements picked by name.
///
/// S3 response bodies (`ListBucketResult`, `InitiateMultipartUploadResult`, `Error`) nest at most two levels and
/// never reuse an element name at different depths with different meanings in the parts Floe reads, so a scan
/// for `<Name>text</Name>` is exact. Entities (`&amp;`, `&#x41;`, …) and CDATA are decoded.
struct S3XML: Sendable {
    private let text: String

    init(_ bytes: some Collection<UInt8>) {
        text = String(decoding: bytes, as: UTF8.self)
    }

    /// The decoded text of every `<name>` element, in document order; `<name/>` gives an empty string.
    func values(of name: String) -> [String] {
        var result: [String] = []
        var rest = text[...]
        let close = "</\(name)>"
        while let start = rest.range(of: "<\(name)") {
            let afterName = rest[start.upperBound...]
            if afterName.hasPrefix("/>") {
                result.append("")
                rest = afterName.dropFirst(2)
                continue
            }
            // `<Key` also starts `<KeyCount>`: only an exact `<name>` opens the element.
            guard afterName.hasPrefix(">") else {
                rest = afterName
                continue
            }
            let contentStart = afterName.index(after: afterName.startIndex)
            guard let end = rest[contentStart...].range(of: close) else { break }
            result.append(Self.decode(rest[contentStart..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return result
    }

    /// The first `<name>` element's text.
    func value(of name: String) -> String? { values(of: name).first }

    /// Whether the document contains a `<name` start tag (with or without attributes).
    func contains(element name: String) -> Bool {
        text.contains("<\(name)>") || text.contains("<\(name) ")
    }

    static func decode(_ raw: Substring) -> String {
        if raw.hasPrefix("<![CDATA["), raw.hasSuffix("]]>") { return String(raw.dropFirst(9).dropLast(3)) }
        guard raw.contains("&") else { return String(raw) }
        var result = ""
        var rest = raw
        while let amp = rest.firstIndex(of: "&") {
            result += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semicolon]
            switch entity {
            case "amp": result += "&"
            case "lt": result += "<"
            case "gt": result += ">"
            case "quot": result += "\""
            case "apos": result += "'"
            default:
                let scalar: Unicode.Scalar?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init)
                } else {
                    scalar = nil
                }
                if let scalar { result.unicodeScalars.append(scalar) } else { result += rest[amp...semicolon] }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return result + rest
    }

    /// `text` with `&`, `<`, `>`, `"` escaped, for request bodies.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}

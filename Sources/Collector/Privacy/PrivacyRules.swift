import Crypto
import Foundation
import FloeSupport

/// What Floe removes or pseudonymizes before anything of a Segment message is stored (docs/design.md §2,
/// README "Privacy"): the client address, and chosen members of `properties`, `traits` and `context`.
///
/// Rules are a tree of member names from the message down (`context.traits.email`). At a rule's
/// member the value is dropped, replaced by the hex SHA-256 of the salt followed by the value (a
/// string's characters, any other value's JSON text), or (for `context.ip`) cut to its network.
/// Members without a rule are copied byte for byte, so a message no rule touches is stored as sent.
package struct PrivacyRules: Sendable {
    /// What happens to the client address: the one Floe adds to `context.ip` and the one a client sends there.
    enum ClientIP: String, Sendable, CaseIterable {
        case keep
        /// IPv4 to its /24, IPv6 to its /48.
        case truncate
        case drop
    }

    enum Action: Sendable, Equatable {
        case drop
        case hash
        case truncateIP
    }

    /// One level of the rule tree.
    struct Node: Sendable {
        var action: Action?
        var children: [String: Node] = [:]
        var isEmpty: Bool { action == nil && children.isEmpty }
    }

    let root: Node
    /// ``root`` with the message's own `writeKey` dropped, for the `rejected` table (a credential, never stored).
    private let messageRoot: Node
    private let salt: [UInt8]

    /// No rule: a message is stored as sent, and a rejected one recorded without its `writeKey`.
    static let noRules = PrivacyRules(root: Node())

    /// The roots rules may start at.
    static let roots: Set<String> = ["properties", "traits", "context"]

    /// - throws: ``ConfigurationError`` for a path outside `properties`, `traits` and `context`, hashing
    ///   without a salt, or two rules for one member (`privacy.drop` and `privacy.hash`, or either of them
    ///   and a `client_ip` other than `keep` for `context.ip`).
    init(clientIP: ClientIP = .keep, drop: [String] = [], hash: [String] = [], salt: String = "") throws {
        self.salt = Array(salt.utf8)
        var root = Node()
        func add(_ path: String, _ action: Action, from setting: String) throws {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, let first = parts.first, Self.roots.contains(first), !parts.contains(where: \.isEmpty) else {
                throw ConfigurationError(message: "privacy path '\(path)' must name a member below properties, traits or context (for example properties.email)")
            }
            /// Sets the action at the end of `rest`; returns the one it had.
            func insert(_ node: inout Node, _ rest: ArraySlice<String>) -> Action? {
                guard let head = rest.first else {
                    defer { node.action = action }
                    return node.action
                }
                return insert(&node.children[head, default: Node()], rest.dropFirst())
            }
            if let earlier = insert(&root, parts[...]), earlier != action {
                throw ConfigurationError(message: "privacy path '\(path)' has two rules (\(setting) and another): give it one")
            }
        }
        for path in drop { try add(path, .drop, from: "privacy.drop") }
        if !hash.isEmpty && salt.isEmpty {
            throw ConfigurationError(message: "privacy.hash needs privacy.salt (FLOE_PRIVACY_SALT): an unsalted hash of an e-mail address is easy to reverse")
        }
        for path in hash { try add(path, .hash, from: "privacy.hash") }
        switch clientIP {
        case .keep: break
        case .truncate: try add("context.ip", .truncateIP, from: "privacy.client_ip")
        case .drop: try add("context.ip", .drop, from: "privacy.client_ip")
        }
        self.root = root
        messageRoot = Self.withoutWriteKey(root)
    }

    private init(root: Node) {
        salt = []
        self.root = root
        messageRoot = Self.withoutWriteKey(root)
    }

    private static func withoutWriteKey(_ root: Node) -> Node {
        var message = root
        message.children["writeKey"] = Node(action: .drop)
        return message
    }

    /// No rule at all: messages are stored as sent.
    var isEmpty: Bool { root.isEmpty }

    /// The rules below one of the message's members (`properties`, `traits`, `context`), if any.
    func rules(for member: String) -> Node? {
        root.children[member].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The address Floe adds to `context.ip`, after the rule for `context.ip` (nil: add none): the
    /// client-address rule, or a `privacy.drop` or `privacy.hash` of `context.ip`, as for an address a client sent.
    func clientAddress(_ address: String?) -> String? {
        guard let address else { return nil }
        switch root.children["context"]?.children["ip"]?.action {
        case nil: return address
        case .truncateIP: return Self.truncate(address)
        case .drop: return nil
        case .hash: return hashed(ArraySlice(address.utf8))
        }
    }

    /// Writes the value at `entry` with `node`'s rules applied to its members (it is copied as is
    /// when it is not an object).
    func write(_ entry: Int, in tape: JSONTape, rules node: Node, into out: inout [UInt8]) {
        guard tape.kind(entry) == .object, !node.children.isEmpty else {
            out.append(contentsOf: tape.raw(entry))
            return
        }
        out.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in tape.members(of: entry)
        where appendMember(key: key, value: value, in: tape, rule: node.children[tape.string(key)], comma: !first, into: &out) {
            first = false
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends `,"key":value` (no comma when `comma` is false) with `rule` applied; nothing when the
    /// rule drops the member. Returns whether anything was written.
    func appendMember(key: Int, value: Int, in tape: JSONTape, rule: Node?, comma: Bool, into out: inout [UInt8]) -> Bool {
        if rule?.action == .drop { return false }
        if comma { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: tape.raw(key))
        out.append(UInt8(ascii: ":"))
        switch rule?.action {
        case .hash:
            JSONString.appendQuoted(hashed(tape.kind(value) == .string ? tape.stringBytes(value) : tape.raw(value)), to: &out)
        case .truncateIP:
            if tape.kind(value) == .string, let truncated = Self.truncate(tape.string(value)) {
                JSONString.appendQuoted(truncated, to: &out)
            } else {
                // Not an address (another string, a number, an array, an object): nothing of it is kept.
                out.append(contentsOf: "null".utf8)
            }
        default:
            if let rule, !rule.children.isEmpty {
                write(value, in: tape, rules: rule, into: &out)
            } else {
                out.append(contentsOf: tape.raw(value))
            }
        }
        return true
    }

    /// What the `rejected` table records of a rejected Segment message: the object with every rule applied from
    /// its top level and without its own `writeKey`; nothing of a value that is not an object (a string holding a
    /// whole message, say), which no rule can be placed on.
    func message(_ entry: Int, in tape: JSONTape) -> ArraySlice<UInt8> {
        guard tape.kind(entry) == .object else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(tape.raw(entry).count)
        write(entry, in: tape, rules: messageRoot, into: &out)
        return out[...]
    }

    /// What a backfill records in the `rejected` table for a rejected line or event given as its JSON text: a
    /// Segment message as ``message(_:in:)`` gives it; a CloudEvent as it is (the rules are Segment's); nothing
    /// of text that is not JSON, or of a whole batch line, whose members no rule can be placed on.
    func recorded(json: ArraySlice<UInt8>, isSegment: Bool) -> ArraySlice<UInt8> {
        guard let tape = try? JSONTape(parsing: json) else { return [] }
        guard isSegment else { return json }
        if tape.kind(tape.root) == .object, tape.members(of: tape.root).contains(where: { tape.stringEquals($0.key, "batch") }) {
            return []
        }
        return message(tape.root, in: tape)
    }

    /// Lowercase hex SHA-256 of the salt followed by `value`.
    func hashed(_ value: ArraySlice<UInt8>) -> String {
        var digest = SHA256()
        digest.update(data: salt)
        value.withUnsafeBytes { digest.update(bufferPointer: $0) }
        return digest.finalize().hex()
    }

    /// An IPv4 address cut to its /24 (`a.b.c.0`), an IPv6 one to its /48 (`x:y:z::`), an IPv4-mapped one
    /// (`::ffff:a.b.c.d`) to the /24 of its IPv4 address (`::ffff:a.b.c.0`); nil when it is not an address.
    static func truncate(_ address: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            var bytes = withUnsafeBytes(of: &v4) { Array($0) }
            bytes[3] = 0
            return bytes.map(String.init).joined(separator: ".")
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            var bytes = withUnsafeBytes(of: &v6) { Array($0) }
            let ipv4Mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
            for index in (ipv4Mapped ? 15 : 6)..<16 { bytes[index] = 0 }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let written = bytes.withUnsafeBytes { raw in inet_ntop(AF_INET6, raw.baseAddress, &text, socklen_t(text.count)) }
            return written == nil ? nil : String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return nil
    }
}

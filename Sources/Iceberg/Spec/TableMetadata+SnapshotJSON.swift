/// Snapshots as encoded in a metadata file, by snapshot id, kept between commits of one table.
///
/// A committed snapshot never changes, and a metadata file lists a few hundred of them: re-encoding all of
/// them took most of a commit's metadata write. Each entry keeps the snapshot it encodes, so a different
/// snapshot under the same id (a retried commit's) is encoded afresh.
struct EncodedSnapshots: Sendable {
    private var entries: [Int64: (snapshot: Snapshot, json: [UInt8])] = [:]

    /// Encodes `snapshot` or returns its earlier encoding.
    mutating func json(of snapshot: Snapshot, encode: (Snapshot) throws -> [UInt8]) rethrows -> [UInt8] {
        if let entry = entries[snapshot.snapshotId], entry.snapshot == snapshot { return entry.json }
        let json = try encode(snapshot)
        entries[snapshot.snapshotId] = (snapshot, json)
        return json
    }

    /// Forgets the snapshots not in `snapshots` (expired).
    mutating func keepOnly(_ snapshots: [Snapshot]) {
        guard entries.count > snapshots.count else { return }
        let kept = Set(snapshots.map(\.snapshotId))
        entries = entries.filter { kept.contains($0.key) }
    }
}

extension TableMetadata {
    /// The bytes of ``jsonBytes()``, with the snapshots' JSON taken from `encoded` where it holds them.
    ///
    /// The metadata is encoded without its snapshots, and the snapshots' JSON is put into the empty top-level
    /// `"snapshots":[]`; the encoder writes a snapshot inside the file exactly as on its own (same options).
    func jsonBytes(reusing encoded: inout EncodedSnapshots) throws -> [UInt8] {
        guard !snapshots.isEmpty else { return try jsonBytes() }
        var shell = self
        shell.snapshots = []
        let bytes = try shell.jsonBytes()
        let key = Array(#""snapshots":[]"#.utf8)
        guard let start = Self.topLevelOffset(of: key, in: bytes) else { return try jsonBytes() }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + snapshots.count * 512)
        result += bytes[..<(start + key.count - 1)]
        for (index, snapshot) in snapshots.enumerated() {
            if index > 0 { result.append(UInt8(ascii: ",")) }
            result += try encoded.json(of: snapshot) { try Self.encodeJSON($0) }
        }
        result += bytes[(start + key.count - 1)...]
        encoded.keepOnly(snapshots)
        return result
    }

    /// Where `needle` (a key and its value) starts as a member of the outermost object, outside any string.
    static func topLevelOffset(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        var depth = 0, inString = false, escaped = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                case UInt8(ascii: "\""):
                    // A key of the outermost object follows `{` or `,` at depth 1.
                    if depth == 1, bytes[index - 1] == UInt8(ascii: "{") || bytes[index - 1] == UInt8(ascii: ","),
                       bytes[index...].starts(with: needle) {
                        return index
                    }
                    inString = true
                default: break
                }
            }
            index += 1
        }
        return nil
    }
}

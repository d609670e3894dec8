@testable import Iceberg
import Testing

/// ``TableMetadata/jsonBytes(reusing:)`` writes the same bytes as ``TableMetadata/jsonBytes()``.
@Suite("EncodedSnapshots")
struct EncodedSnapshotsTests {
    static func metadata(_ ids: ClosedRange<Int64>) -> TableMetadata {
        var metadata = TableMetadataTests.empty()
        metadata.snapshots = ids.map { TableMetadataTests.snapshot($0, parent: $0 == ids.lowerBound ? nil : $0 - 1, sequence: $0) }
        // Look-alikes of the top-level key, in a string and in a nested object, come before it in key order.
        metadata.properties["note"] = #""snapshots":[]"#
        metadata.additionalFields["a-nested"] = .object(["snapshots": .array([])])
        return metadata
    }

    @Test("the bytes are the encoder's, from the cache or not, and a changed snapshot is encoded again")
    func sameBytes() throws {
        var encoded = EncodedSnapshots()
        let first = Self.metadata(1...5)
        #expect(try first.jsonBytes(reusing: &encoded) == first.jsonBytes())
        let second = Self.metadata(3...9)
        #expect(try second.jsonBytes(reusing: &encoded) == second.jsonBytes())
        var changed = second
        changed.snapshots[2].summary["added-records"] = "7"
        #expect(try changed.jsonBytes(reusing: &encoded) == changed.jsonBytes())
        #expect(try TableMetadata.decode(jsonBytes: try changed.jsonBytes(reusing: &encoded)) == changed)
        let none = TableMetadataTests.empty()
        #expect(try none.jsonBytes(reusing: &encoded) == none.jsonBytes())
    }

    @Test("only the outermost object's key is found, never one inside a string or a nested value")
    func topLevelKey() {
        let key = Array(#""snapshots":[]"#.utf8)
        let json = Array(#"{"a":"\"snapshots\":[]","b":{"snapshots":[]},"snapshots":[],"z":1}"#.utf8)
        #expect(TableMetadata.topLevelOffset(of: key, in: json) == 45)
        #expect(TableMetadata.topLevelOffset(of: key, in: Array(#"{"b":{"snapshots":[]}}"#.utf8)) == nil)
    }
}

import Foundation
@testable import Iceberg
import Testing

@Suite("TableMetadata")
struct TableMetadataTests {
    static func empty() -> TableMetadata {
        TableMetadata(tableUUID: "9c12d441-03fe-4693-9a96-a0705ddf69c1", location: "file:///w/analytics/events",
                      schema: EventsTable.schema, partitionSpec: EventsTable.spec, lastUpdatedMs: 1000)
    }

    static func snapshot(_ id: Int64, parent: Int64?, sequence: Int64, commitId: String = "c") -> Snapshot {
        Snapshot(snapshotId: id, parentSnapshotId: parent, sequenceNumber: sequence, timestampMs: 2000 + sequence,
                 manifestList: "file:///w/analytics/events/metadata/snap-\(id).avro",
                 summary: ["operation": "append", "floe.commit-id": commitId], schemaId: 0)
    }

    @Test("metadata written by pyiceberg decodes, and re-encodes with unknown fields intact")
    func pyicebergRoundTrip() throws {
        let metadata = try TableMetadata.decode(jsonBytes: try Fixtures.bytes("pyiceberg-v2.metadata.json"))
        #expect(metadata.formatVersion == 2)
        #expect(metadata.lastSequenceNumber == 1)
        #expect(metadata.currentSnapshot?.snapshotId == 5599813925999235188)
        #expect(metadata.currentSnapshot?.summary["added-records"] == "2")
        #expect(metadata.defaultSpec?.fields.map(\.fieldId) == [1000, 1001])
        #expect(metadata.additionalFields["statistics"] == .array([]))
        let again = try TableMetadata.decode(jsonBytes: try metadata.jsonBytes())
        #expect(again == metadata)
    }

    @Test("a new table keeps the caller's ids and writes every required v2 field")
    func newTable() throws {
        let metadata = Self.empty()
        #expect(metadata.lastColumnId == 17)
        #expect(metadata.lastPartitionId == 1001)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try metadata.jsonBytes())) as? [String: Any])
        for key in ["format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms", "last-column-id",
                    "schemas", "current-schema-id", "partition-specs", "default-spec-id", "last-partition-id",
                    "properties", "snapshots", "snapshot-log", "metadata-log", "sort-orders", "default-sort-order-id", "refs"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["current-snapshot-id"] == nil)
        #expect(try TableMetadata.decode(jsonBytes: try metadata.jsonBytes()) == metadata)
    }

    @Test("add-snapshot and set-snapshot-ref advance the table")
    func applyAppend() throws {
        let first = Self.snapshot(11, parent: nil, sequence: 1)
        let metadata = try Self.empty().applying([
            .addSnapshot(first), .setSnapshotRef(name: "main", reference: SnapshotReference(snapshotId: 11)),
        ], nowMs: 5000)
        #expect(metadata.currentSnapshotId == 11)
        #expect(metadata.lastSequenceNumber == 1)
        #expect(metadata.snapshotLog == [SnapshotLogEntry(snapshotId: 11, timestampMs: first.timestampMs)])
        #expect(metadata.lastUpdatedMs == 5000)
        let second = try metadata.applying([
            .addSnapshot(Self.snapshot(12, parent: 11, sequence: 2)),
            .setSnapshotRef(name: "main", reference: SnapshotReference(snapshotId: 12)),
        ], nowMs: 6000)
        #expect(second.mainAncestry().map(\.snapshotId) == [12, 11])
    }

    @Test("updates that cannot apply are rejected", arguments: [
        [TableUpdate.addSnapshot(TableMetadataTests.snapshot(11, parent: nil, sequence: 0))],
        [.setSnapshotRef(name: "main", reference: SnapshotReference(snapshotId: 99))],
    ])
    func invalidUpdates(updates: [TableUpdate]) {
        #expect(throws: CatalogError.self) { try Self.empty().applying(updates, nowMs: 1) }
    }

    @Test("requirements detect another writer")
    func requirements() throws {
        let metadata = try Self.empty().applying([
            .addSnapshot(Self.snapshot(11, parent: nil, sequence: 1)),
            .setSnapshotRef(name: "main", reference: SnapshotReference(snapshotId: 11)),
        ], nowMs: 5000)
        #expect(TableRequirement.assertRefSnapshotID(ref: "main", snapshotId: 11).violation(in: metadata) == nil)
        #expect(TableRequirement.assertRefSnapshotID(ref: "main", snapshotId: nil).violation(in: metadata) != nil)
        #expect(TableRequirement.assertRefSnapshotID(ref: "main", snapshotId: nil).violation(in: Self.empty()) == nil)
        #expect(TableRequirement.assertTableUUID("other").violation(in: metadata) != nil)
        #expect(TableRequirement.assertCreate.violation(in: nil) == nil)
    }

    @Test("updates and requirements use the REST catalog's JSON shapes")
    func restShapes() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let requirement = String(decoding: try encoder.encode(TableRequirement.assertRefSnapshotID(ref: "main", snapshotId: nil)), as: UTF8.self)
        #expect(requirement == #"{"ref":"main","snapshot-id":null,"type":"assert-ref-snapshot-id"}"#)
        let update = String(decoding: try encoder.encode(TableUpdate.setSnapshotRef(name: "main", reference: SnapshotReference(snapshotId: 7))), as: UTF8.self)
        #expect(update == #"{"action":"set-snapshot-ref","ref-name":"main","snapshot-id":7,"type":"branch"}"#)
        let updates: [TableUpdate] = [.addSnapshot(Self.snapshot(7, parent: nil, sequence: 1)), .setProperties(["a": "b"]), .removeProperties(["c"])]
        #expect(try JSONDecoder().decode([TableUpdate].self, from: encoder.encode(updates)) == updates)
        let requirements: [TableRequirement] = [.assertCreate, .assertTableUUID("u"), .assertRefSnapshotID(ref: "main", snapshotId: 3)]
        #expect(try JSONDecoder().decode([TableRequirement].self, from: encoder.encode(requirements)) == requirements)
    }
}

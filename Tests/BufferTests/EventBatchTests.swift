@testable import Buffer
import Foundation
import Logging
import Testing

@Suite("EventBatch")
struct EventBatchTests {
    let events = PartitionID(table: "events", key: "track/2026-12-01-15")
    let pages = PartitionID(table: "events", key: "page/2026-12-01-15")

    func batch(_ rows: [(PartitionID, String, String?)]) -> EventBatch {
        var batch = EventBatch()
        for (index, (partition, row, key)) in rows.enumerated() {
            batch.append(partition: partition, receivedAt: Int64(index), dedupKey: key.map { DedupKey(Array($0.utf8)) }) {
                $0.append(contentsOf: Array(row.utf8))
            }
        }
        return batch
    }

    func rows(_ batch: EventBatch) -> [String] {
        (0..<batch.count).map { String(decoding: batch.row($0), as: UTF8.self) }
    }

    @Test("rows lie end to end and each reads back with its partition")
    func rowsEndToEnd() {
        let built = batch([(events, "one", "s1"), (pages, "", nil), (events, "three", "s3")])
        #expect(built.count == 3)
        #expect(built.bytes == Array("onethree".utf8))
        #expect(rows(built) == ["one", "", "three"])
        #expect(built.partition(1) == pages)
    }

    @Test("a row whose writer throws leaves the batch as it was")
    func throwingWriter() {
        struct Refused: Error {}
        var built = batch([(events, "kept", nil)])
        #expect(throws: Refused.self) {
            try built.append(partition: pages, receivedAt: 9, dedupKey: nil) { bytes in
                bytes.append(contentsOf: Array("half".utf8))
                throw Refused()
            }
        }
        #expect(rows(built) == ["kept"])
        #expect(built.bytes == Array("kept".utf8))
    }

    @Test("past the scanned few, partitions are still numbered once each, in order of first use")
    func manyPartitions() {
        // 40 partitions, each used twice, interleaved: the dictionary takes over from the scan at 17.
        let partitions = (0..<40).map { PartitionID(table: "cloudevents", key: "type-\($0)/2026-12-01-15") }
        let built = batch((partitions + partitions.reversed()).enumerated().map { ($1, "r\($0)", nil) })
        #expect(built.partitions == partitions)
        #expect((0..<built.count).map(built.partition) == partitions + partitions.reversed())
        var joined = built.events(0..<3)
        joined.append(contentsOf: built.events(3..<80))
        #expect(joined.partitions == partitions)
        #expect((0..<joined.count).map(joined.partition) == (0..<built.count).map(built.partition))
        #expect(PreparedAppend(built).parts.map(\.count) == Array(repeating: 2, count: 40))
    }

    @Test("partitions are told apart by their bytes, not by Unicode canonical equivalence")
    func partitionBytes() {
        let composed = PartitionID(table: "cloudevents", key: "caf\u{e9}/2026-12-01-15")
        let decomposed = PartitionID(table: "cloudevents", key: "cafe\u{301}/2026-12-01-15")
        #expect(composed.key == decomposed.key, "Swift's String equality")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed, PartitionID(table: "cloudevents", key: "caf\u{e9}/2026-12-01-15")]).count == 2)
        let built = batch([(composed, "a", nil), (decomposed, "b", nil)])
        #expect(built.partitions == [composed, decomposed])
        #expect(PreparedAppend(built).parts.map(\.count) == [1, 1])
    }

    @Test("a range of events and joined batches keep every row and key")
    func rangesAndJoins() {
        let built = batch([(events, "a", "s1"), (pages, "bb", "s2"), (events, "ccc", nil), (pages, "dddd", "s4")])
        let middle = built.events(1..<3)
        #expect(rows(middle) == ["bb", "ccc"])
        #expect((0..<middle.count).map(middle.partition) == [pages, events])
        #expect(middle.entries.map(\.dedupKey) == [DedupKey(Array("s2".utf8)), nil])
        #expect(built.events(2..<2).isEmpty)
        var joined = built.events(0..<1)
        joined.append(contentsOf: built.events(1..<4))
        #expect(rows(joined) == rows(built))
        #expect((0..<joined.count).map(joined.partition) == (0..<built.count).map(built.partition))
        #expect(joined.entries.map(\.dedupKey) == built.entries.map(\.dedupKey))
    }

    @Test("a key hashed in pieces equals the key of the joined bytes, and the stored scheme is unchanged")
    func keyInPieces() {
        var pieces = DedupKey()
        pieces.append(UInt8(ascii: "s"))
        pieces.append(contentsOf: Array("message-1".utf8)[...])
        #expect(pieces == DedupKey(Array("smessage-1".utf8)))
        // The value `dedup_blocks` holds for this key (buffers written by earlier versions keep theirs).
        #expect(pieces.high == 0xbc18_f7d1_cc22_1887 && pieces.low == 0x23a1_9462_e22f_8fd6)
        #expect(DedupKey(Array("smessage-2".utf8)) != pieces)
    }

    @Test("an appended batch is stored by partition, and its keys still find duplicates")
    func appendedBatch() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let buffer = try EventBuffer(configuration: BufferConfiguration(path: directory.appendingPathComponent("buffer.db").path),
                                     logger: Logger(label: "test"))
        let first = try await buffer.append(batch([(events, "e1", "s1"), (pages, "p1", "s2"), (events, "e2", nil)]))
        #expect(first == AppendOutcome(stored: 3, duplicates: 0))
        // The same keys as single events (``BufferedEvent``) are duplicates of the batch's.
        let again = try await buffer.append([
            BufferedEvent(partition: events, receivedAt: 5, payload: Array("e1".utf8), dedupKey: Array("s1".utf8)),
            BufferedEvent(partition: pages, receivedAt: 5, payload: Array("p3".utf8), dedupKey: Array("s3".utf8)),
        ])
        #expect(again.stored == 1 && again.duplicates == 1)
        let stored = try await buffer.rows(in: events, limit: 10).map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(stored == ["e1", "e2"])
        let storedPages = try await buffer.rows(in: pages, limit: 10).map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(storedPages == ["p1", "p3"])
        // A slice that names a partition it has no events of stores only its own.
        let slice = batch([(pages, "p4", nil), (events, "e3", nil)]).events(1..<2)
        #expect(try await buffer.append(slice) == AppendOutcome(stored: 1, duplicates: 0))
        #expect(buffer.stats()[pages]?.count == 2 && buffer.stats()[events]?.count == 3)
    }
}

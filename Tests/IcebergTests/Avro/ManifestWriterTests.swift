@testable import Iceberg
import Testing

@Suite("ManifestWriter")
struct ManifestWriterTests {
    @Test("entries are ADDED with the snapshot id, null sequence numbers and the data file's statistics")
    func entries() throws {
        let file = DataFile(filePath: "file:///w/a.parquet", partition: [.string("track"), .null], recordCount: 3,
                            fileSizeInBytes: 999, columnSizes: [2: 10, 1: 20], valueCounts: [1: 3],
                            nullValueCounts: [1: 0], lowerBounds: [1: [0x61]], upperBounds: [1: [0x7A]],
                            splitOffsets: [4])
        let output = try ManifestWriter(schema: EventsTable.schema, spec: EventsTable.spec)
            .write(files: [file], snapshotId: 42, syncMarker: Array(repeating: 7, count: 16))
        let reader = try AvroContainerReader(bytes: output.bytes)
        #expect(reader.metadata["format-version"] == "2")
        #expect(reader.metadata["content"] == "data")
        #expect(reader.metadata["partition-spec-id"] == "0")
        #expect(reader.metadata["schema-id"] == "0")
        #expect(reader.metadata["partition-spec"]?.contains(#""field-id":1001"#) == true)
        #expect(reader.records.count == 1)
        let entry = try #require(reader.records.first?.recordValue)
        #expect(entry[0] == .int(1))
        #expect(entry[1] == .long(42))
        #expect(entry[2] == .null && entry[3] == .null)
        let dataFile = try #require(entry[4].recordValue)
        #expect(dataFile[1] == .string("file:///w/a.parquet"))
        #expect(dataFile[2] == .string("PARQUET"))
        #expect(dataFile[3] == .record([.string("track"), .null]))
        #expect(dataFile[6] == .array([.record([.int(1), .long(20)]), .record([.int(2), .long(10)])]))
        #expect(dataFile[10] == .array([.record([.int(1), .bytes([0x61])])]))
        #expect(dataFile[13] == .array([.long(4)]))
        #expect(output.partitions[1] == ManifestFile.FieldSummary(containsNull: true, containsNaN: false, lowerBound: nil, upperBound: nil))
    }

    @Test("the partition struct uses the partition field ids and result types")
    func partitionType() throws {
        let type = try ManifestWriter(schema: EventsTable.schema, spec: EventsTable.spec).partitionType()
        #expect(type.json == #"{"type":"record","name":"r102","fields":[{"name":"type","type":["null","string"],"default":null,"field-id":1000},{"name":"timestamp_hour","type":["null","int"],"default":null,"field-id":1001}]}"#)
    }
}

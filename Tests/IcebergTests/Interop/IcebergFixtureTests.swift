import Foundation
import Iceberg
import Logging
import Testing

/// Writes the catalog that `Fixtures/check_catalog.py` checks with pyiceberg, fastavro and DuckDB.
///
/// Runs only when `FLOE_ICEBERG_FIXTURE_DIR` is set; `Fixtures/run_interop.sh` drives the whole exchange.
@Suite("Iceberg fixture for real peers")
struct IcebergFixtureTests {
    static let fixtureDirectory = ProcessInfo.processInfo.environment["FLOE_ICEBERG_FIXTURE_DIR"]

    struct Batches: Decodable {
        struct File: Decodable {
            var filePath: String
            var partition: [PartitionJSON]
            var recordCount: Int64
            var fileSizeInBytes: Int64
            var columnSizes: [String: Int64]
            var valueCounts: [String: Int64]
            var nullValueCounts: [String: Int64]
            var lowerBounds: [String: String]
            var upperBounds: [String: String]
        }

        enum PartitionJSON: Decodable {
            case string(String)
            case int(Int32)

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let value = try? container.decode(Int32.self) { self = .int(value) } else { self = .string(try container.decode(String.self)) }
            }
        }

        struct Batch: Decodable {
            var commitId: String
            var files: [File]
        }

        var warehouse: String
        var batches: [Batch]
    }

    static func dataFile(_ file: Batches.File) -> DataFile {
        func ids<V>(_ map: [String: V]) -> [Int32: V] {
            Dictionary(uniqueKeysWithValues: map.compactMap { key, value in Int32(key).map { ($0, value) } })
        }
        func hex(_ text: String) -> [UInt8] {
            var bytes: [UInt8] = []
            var index = text.startIndex
            while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) {
                bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
                index = next
            }
            return bytes
        }
        return DataFile(filePath: file.filePath,
                        partition: file.partition.map { switch $0 { case .string(let s): .string(s); case .int(let i): .int(i) } },
                        recordCount: file.recordCount, fileSizeInBytes: file.fileSizeInBytes,
                        columnSizes: ids(file.columnSizes), valueCounts: ids(file.valueCounts),
                        nullValueCounts: ids(file.nullValueCounts), lowerBounds: ids(file.lowerBounds).mapValues(hex),
                        upperBounds: ids(file.upperBounds).mapValues(hex))
    }

    @Test("appends every batch of batches.json not yet committed", .enabled(if: fixtureDirectory != nil))
    func appendBatches() async throws {
        let directory = try #require(Self.fixtureDirectory)
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/batches.json"))
        let batches = try JSONDecoder().decode(Batches.self, from: data)
        let logger = Logger(label: "floe.iceberg.fixture")
        let fileIO = LocalFileIO()
        let catalog = try SQLCatalog(databasePath: directory + "/catalog.db", catalogName: "floe",
                                     warehouseLocation: batches.warehouse, fileIO: fileIO, logger: logger)
        let table = try await catalog.loadOrCreateTable(EventsTable.identifier, schema: EventsTable.schema,
                                                        partitionSpec: EventsTable.spec,
                                                        properties: ["commit.manifest.min-count-to-merge": "8"])
        #expect(table.metadata.location == batches.warehouse + "/analytics/events")
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: logger)
        for batch in batches.batches {
            if try await appender.findCommit(in: EventsTable.identifier, commitId: batch.commitId) != nil { continue }
            let result = try await appender.append(to: EventsTable.identifier, files: batch.files.map(Self.dataFile),
                                                   commitId: batch.commitId)
            #expect(result.attempts >= 1)
            print("committed \(batch.commitId) as snapshot \(result.snapshotId) in \(result.attempts) attempts")
            let found = try await appender.findCommit(in: EventsTable.identifier, commitId: batch.commitId)
            #expect(found == result.snapshotId)
        }
    }
}

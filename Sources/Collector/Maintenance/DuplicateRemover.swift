import Crypto
import Foundation
import Iceberg
import Logging
import Parquet

/// Removes events stored twice from a table by committing Iceberg position deletes: within each
/// partition, every row whose event key (`message_id`; CloudEvents `source` and `id`) appeared
/// earlier (in an older file, or earlier in the same file) is deleted, so each event is read once.
///
/// Duplicates arise when a retry reaches another instance after the first one stored the event
/// and died before answering (docs/scaling.md). Floe's flush never writes a duplicate within one
/// instance, so this is a repair run on demand (`floe maintain --remove-duplicates`), off by default:
/// it reads the key columns of every data file of the table. Rows already deleted are skipped, so a
/// second run finds nothing; a run that dies before its commit leaves only orphan delete files
/// (removed by orphan-file maintenance). The table's data files are not rewritten.
struct DuplicateRemover {
    let tables: TableWriter
    let maintenance: TableMaintenance
    let fileIO: any FileIO
    let logger: Logger

    /// What one run did to one table.
    struct Result: Sendable, Codable {
        var table: String
        var dataFiles = 0
        var rowsScanned = 0
        var duplicates = 0
        var deleteFiles = 0
        var snapshotId: Int64?

        enum CodingKeys: String, CodingKey {
            case table, dataFiles = "data_files", rowsScanned = "rows_scanned", duplicates
            case deleteFiles = "delete_files", snapshotId = "snapshot_id"
        }
    }

    /// The columns that identify an event of `definition`, nil for tables without one (`rejected`).
    static func keyColumns(of definition: TableDefinition) -> [String]? {
        switch definition.name {
        case TableDefinition.events.name: ["message_id"]
        case TableDefinition.cloudEvents.name: ["source", "id"]
        default: nil
        }
    }

    /// Field ids and names of a position delete file (Iceberg spec, "Position Delete Files").
    static let filePathFieldId: Int32 = 2_147_483_546
    static let positionFieldId: Int32 = 2_147_483_545

    /// Removes the duplicates of `table` (loaded by the caller, its storage credentials applied).
    func run(_ definition: TableDefinition, table: Table) async throws -> Result {
        var result = Result(table: definition.name)
        guard let columns = Self.keyColumns(of: definition) else { return result }
        // v1 has no row-level deletes, and v3 replaces position delete files by deletion vectors.
        guard table.metadata.formatVersion == 2 else {
            throw CatalogError(.rejected, "duplicates are removed with v2 position deletes; the table is format version \(table.metadata.formatVersion)")
        }
        guard let listed = table.metadata.currentSnapshot?.snapshotId else { return result }
        let files = try await maintenance.liveFiles(of: table, id: tables.identifier(definition))
        let deleted = try await PositionDeletes.read(files, live: files, fileIO: fileIO).positions
        let commitId = UUID().uuidString.lowercased()
        var pending: [TableWriter.PendingFile] = []
        var finder = DuplicateFinder()
        let partitions = try Dictionary(grouping: files.filter { $0.content == .data }) { file in
            guard let key = PartitionKey(partitionValues: file.partition) else {
                throw CatalogError(.invalidMetadata, "unexpected partition tuple", context: ["partition": "\(file.partition)"])
            }
            return key
        }
        for (key, partitionFiles) in partitions.sorted(by: { ($0.key.type, $0.key.hours) < ($1.key.type, $1.key.hours) }) {
            var scanned: [DuplicateFinder.ScannedFile] = []
            for file in partitionFiles {
                let reader = try ParquetFileReader(bytes: try await fileIO.read(file.location))
                guard Int64(reader.rowCount) == file.recordCount else {
                    throw CatalogError(.invalidMetadata, "a data file's row count differs from its manifest entry",
                                       context: ["file": file.location])
                }
                scanned.append(DuplicateFinder.ScannedFile(location: file.location, sequenceNumber: file.sequenceNumber,
                                                           keys: try Self.keys(of: reader, columns: columns),
                                                           deleted: deleted[file.location] ?? []))
                result.dataFiles += 1
                result.rowsScanned += reader.rowCount
            }
            let duplicates = finder.duplicates(in: key, files: scanned)
            guard !duplicates.isEmpty else { continue }
            result.duplicates += duplicates.count
            pending.append(Self.deleteFile(duplicates, key: key, location: tables.dataFileLocation(
                in: table, definition: definition, key: key, commitId: commitId, index: pending.count, deletes: true)))
        }
        guard !pending.isEmpty else { return result }
        let written = try await tables.write(pending, definition: definition, width: 2)
        // Deletes name rows by position: committed only if nothing but appends came after the listing.
        let committed = try await tables.append(definition, files: written, commitId: commitId, onlyAppendsSince: listed,
                                                tableUUID: table.metadata.tableUUID)
        result.deleteFiles = written.count
        result.snapshotId = committed.snapshotId
        logger.info("removed duplicates", metadata: [
            "floe.table": "\(definition.name)", "floe.duplicates": "\(result.duplicates)",
            "floe.delete_files": "\(written.count)", "floe.snapshot_id": "\(committed.snapshotId)",
        ])
        return result
    }

    /// Each row's event key: 128 bits of the SHA-256 of its key columns, each prefixed by its length
    /// (nil where a column is null). Sixteen bytes a row bound the memory of a partition's keys; two
    /// distinct events share a key with a probability of about n²/2¹²⁹ (10⁻²¹ for a billion rows).
    static func keys(of reader: ParquetFileReader, columns: [String]) throws -> [DuplicateFinder.Key?] {
        let values = try columns.map { try reader.byteArrays($0) }
        return (0..<reader.rowCount).map { row in
            var hasher = SHA256()
            for column in values {
                guard row < column.count, let value = column[row] else { return nil }
                withUnsafeBytes(of: UInt32(value.count).littleEndian) { hasher.update(bufferPointer: $0) }
                hasher.update(data: value)
            }
            return DuplicateFinder.Key(digest: Array(hasher.finalize()))
        }
    }

    /// A position delete file of `rows`, sorted by file and position as the spec asks.
    static func deleteFile(_ rows: [(path: String, position: Int64)], key: PartitionKey,
                           location: String) -> TableWriter.PendingFile {
        // The spec's order is by the bytes of the path, then the position.
        let sorted = rows.sorted { a, b in
            a.path == b.path ? a.position < b.position : a.path.utf8.lexicographicallyPrecedes(b.path.utf8)
        }
        return TableWriter.PendingFile(location: location, key: key, rows: sorted.count, encode: {
            var paths = ByteArrayBuffer()
            for row in sorted { paths.append(Array(row.path.utf8)) }
            let schema = ParquetSchema(fields: [
                ParquetField(name: "file_path", fieldId: filePathFieldId, type: .string, isRequired: true),
                ParquetField(name: "pos", fieldId: positionFieldId, type: .int64, isRequired: true),
            ])
            return try ParquetFileWriter.write(schema: schema, columns: [.byteArray(paths, validity: nil),
                                                                         .int64(sorted.map(\.position), validity: nil)],
                                               rowCount: sorted.count, options: WriterOptions())
        }, entry: { file in
            var bounds: (lower: [Int32: [UInt8]], upper: [Int32: [UInt8]]) = ([:], [:])
            if let first = sorted.first, let last = sorted.last {
                bounds.lower[filePathFieldId] = Array(first.path.utf8)
                bounds.upper[filePathFieldId] = Array(last.path.utf8)
            }
            return DataFile(filePath: location, partition: key.partitionValues, recordCount: Int64(sorted.count),
                            fileSizeInBytes: Int64(file.bytes.count), lowerBounds: bounds.lower, upperBounds: bounds.upper,
                            content: .positionDeletes)
        })
    }
}

import Iceberg
import Parquet

/// What a table's live position delete files delete: the deleted positions of each data file, and the live
/// data files each delete file names. Duplicate removal skips rows already deleted; compaction leaves them out
/// of its files and drops a delete file once every file it names is rewritten.
struct PositionDeletes: Sendable {
    var positions: [String: Set<Int64>] = [:]
    var namedFiles: [String: Set<String>] = [:]

    /// Reads the position delete files among `deleteFiles`. A row applies to a live data file (`files`, the
    /// table's live files) of a sequence number up to the delete file's; other rows are ignored. Decoding runs
    /// on `pool` when given.
    static func read(_ deleteFiles: [LiveFile], live files: [LiveFile], fileIO: any FileIO,
                     pool: EncodingPool? = nil) async throws -> PositionDeletes {
        let sequence = Dictionary(files.lazy.filter { $0.content == .data }.map { ($0.location, $0.sequenceNumber) },
                                  uniquingKeysWith: { a, _ in a })
        var deletes = PositionDeletes()
        for file in deleteFiles where file.content == .positionDeletes {
            let bytes = try await fileIO.read(file.location)
            let rows = try await pool?.run { try decode(bytes) } ?? decode(bytes)
            var named = Set<String>()
            for (path, position) in rows {
                guard let dataSequence = sequence[path], dataSequence <= file.sequenceNumber else { continue }
                named.insert(path)
                deletes.positions[path, default: []].insert(position)
            }
            deletes.namedFiles[file.location] = named
        }
        return deletes
    }

    /// The `(file_path, pos)` rows of a position delete file.
    private static func decode(_ bytes: [UInt8]) throws -> [(String, Int64)] {
        let reader = try ParquetFileReader(bytes: bytes)
        let paths = try reader.byteArrays("file_path"), positions = try reader.int64s("pos")
        return zip(paths, positions).compactMap { path, position in
            guard let path, let position else { return nil }
            return (String(decoding: path, as: UTF8.self), position)
        }
    }
}

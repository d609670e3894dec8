import Dispatch
import SQLite

/// Reads buffered rows back for flushing, on a connection and serial queue of its own.
///
/// In WAL mode a reader sees the database as of the last commit when its statement starts and
/// never waits for the writer, nor the writer for it, so reading a flush's rows (tens of MB under
/// load) no longer holds up group commits. The partition id and its `flushed_through` watermark
/// come from the same snapshot as the chunks (a join), so no writer state is shared.
final class BufferReader: @unchecked Sendable {
    // @unchecked: `connection` is used only on `queue`.
    private let connection: SQLiteDatabase
    private let queue = DispatchQueue(label: "floe.buffer.reader")

    init(path: String) throws {
        connection = try SQLiteDatabase(path: path)
        try connection.execute("PRAGMA mmap_size=0")
        try connection.execute("PRAGMA cache_size=-16384")
        try connection.execute("PRAGMA query_only=1")
    }

    /// The oldest unflushed events of a partition in arrival order, at most `limit`.
    func rows(in partition: PartitionID, limit: Int) async throws -> [StoredRow] {
        try await run { db in
            let statement = try db.statement("""
                SELECT c.first_seq, c.payload, p.flushed_through FROM chunks c JOIN partitions p ON p.pid = c.pid
                WHERE p.tbl = ?1 AND p.part = ?2 AND c.last_seq > p.flushed_through ORDER BY c.last_seq
                """)
            defer { statement.reset() }
            try statement.bind(1, partition.table)
            try statement.bind(2, partition.key)
            var rows: [StoredRow] = []
            while rows.count < limit, try statement.step() {
                let flushed = statement.int64(2)
                var sequence = statement.int64(0)
                for payload in try EventChunk.decode(statement.blob(1)) {
                    defer { sequence += 1 }
                    if sequence <= flushed { continue }
                    if rows.count == limit { break }
                    rows.append(StoredRow(sequence: sequence, payload: payload))
                }
            }
            return rows
        }
    }

    /// The events of a partition with sequence numbers in `sequences`, in order.
    func rows(in partition: PartitionID, sequences: ClosedRange<Int64>) async throws -> [StoredRow] {
        try await run { db in
            let statement = try db.statement("""
                SELECT c.first_seq, c.payload FROM chunks c JOIN partitions p ON p.pid = c.pid
                WHERE p.tbl = ?1 AND p.part = ?2 AND c.last_seq >= ?3 AND c.first_seq <= ?4 ORDER BY c.last_seq
                """)
            defer { statement.reset() }
            try statement.bind(1, partition.table)
            try statement.bind(2, partition.key)
            try statement.bind(3, sequences.lowerBound)
            try statement.bind(4, sequences.upperBound)
            var rows: [StoredRow] = []
            while try statement.step() {
                var sequence = statement.int64(0)
                for payload in try EventChunk.decode(statement.blob(1)) {
                    if sequences.contains(sequence) { rows.append(StoredRow(sequence: sequence, payload: payload)) }
                    sequence += 1
                }
            }
            return rows
        }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        try await queue.perform { try work(self.connection) }
    }
}

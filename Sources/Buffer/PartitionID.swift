import FloeSupport

/// One buffer partition: a table and its `{type}/{YYYY-MM-DD-HH}` key.
///
/// Equal, hashed and ordered by their UTF-8 bytes, as SQLite and Iceberg compare them: Swift's `String`
/// equality holds canonically equivalent texts equal (`"caf\u{e9}"` and `"cafe\u{301}"`), which would put two
/// CloudEvents types into one partition whose Iceberg value names only one of them.
public struct PartitionID: Hashable, Sendable, Comparable {
    public var table: String
    public var key: String

    public init(table: String, key: String) {
        self.table = table
        self.key = key
    }

    public static func == (lhs: PartitionID, rhs: PartitionID) -> Bool {
        lhs.key.equalsUTF8(rhs.key) && lhs.table.equalsUTF8(rhs.table)
    }

    public func hash(into hasher: inout Hasher) {
        table.hashUTF8(into: &hasher)
        key.hashUTF8(into: &hasher)
    }

    public static func < (lhs: PartitionID, rhs: PartitionID) -> Bool {
        if !lhs.table.equalsUTF8(rhs.table) { return lhs.table.utf8.lexicographicallyPrecedes(rhs.table.utf8) }
        return lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
    }
}

/// What the buffer holds for one partition, kept in memory and rebuilt from the database at start.
public struct PartitionStats: Sendable, Equatable {
    public var count: Int
    /// Payload bytes.
    public var bytes: Int
    /// Oldest `received_at` in microseconds since the epoch.
    public var oldestReceivedAt: Int64

    public init(count: Int, bytes: Int, oldestReceivedAt: Int64) {
        self.count = count
        self.bytes = bytes
        self.oldestReceivedAt = oldestReceivedAt
    }
}

/// An event ready to be buffered: its partition, receipt time and encoded row.
public struct BufferedEvent: Sendable {
    public var partition: PartitionID
    /// Microseconds since the epoch.
    public var receivedAt: Int64
    public var payload: [UInt8]
    /// Identity of the message for deduplication (`nil`: never a duplicate).
    public var dedupKey: [UInt8]?

    public init(partition: PartitionID, receivedAt: Int64, payload: [UInt8], dedupKey: [UInt8]? = nil) {
        self.partition = partition
        self.receivedAt = receivedAt
        self.payload = payload
        self.dedupKey = dedupKey
    }
}

/// What an append stored: new events, and duplicates acknowledged without storing them again.
public struct AppendOutcome: Sendable, Equatable {
    public var stored: Int
    public var duplicates: Int
    /// `duplicates` by table (tables with none are left out).
    public var duplicatesByTable: [String: Int] = [:]

    public init(stored: Int, duplicates: Int, duplicatesByTable: [String: Int] = [:]) {
        self.stored = stored
        self.duplicates = duplicates
        self.duplicatesByTable = duplicatesByTable
    }
}

/// A buffered event read back for flushing; `sequence` increases in arrival order and is never reused.
public struct StoredRow: Sendable {
    public var sequence: Int64
    /// The event's encoded row, a slice of the chunk it was stored in.
    public var payload: ArraySlice<UInt8>
}

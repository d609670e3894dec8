import Iceberg
import Synchronization

/// A ``Catalog`` wrapper whose reads lag its writes: after ``serve(_:forNextLoads:)`` the next
/// loads of that table answer an older version of it (as a REST catalog behind a stale cache or
/// read replica may), then the wrapped catalog's answers again. Everything else is passed through.
public final class LaggingCatalog: Catalog {
    private struct Stale {
        var table: Table
        var loads: Int
    }

    private let base: any Catalog
    private let stale = Mutex([TableIdentifier: Stale]())
    private let served = Mutex(0)

    public init(base: any Catalog) {
        self.base = base
    }

    /// Answers the next `count` loads of `table.identifier` with `table`.
    public func serve(_ table: Table, forNextLoads count: Int) {
        stale.withLock { $0[table.identifier] = Stale(table: table, loads: count) }
    }

    /// Loads answered with an older table so far.
    public var staleLoads: Int { served.withLock { $0 } }

    public func createNamespaceIfNeeded(_ namespace: [String]) async throws { try await base.createNamespaceIfNeeded(namespace) }

    public func loadTable(_ id: TableIdentifier) async throws -> Table {
        let old = stale.withLock { stale -> Table? in
            guard var entry = stale[id], entry.loads > 0 else { return nil }
            entry.loads -= 1
            stale[id] = entry.loads > 0 ? entry : nil
            return entry.table
        }
        if let old {
            served.withLock { $0 += 1 }
            return old
        }
        return try await base.loadTable(id)
    }

    public func createTable(_ id: TableIdentifier, schema: Schema, partitionSpec: PartitionSpec,
                            properties: [String: String]) async throws -> Table {
        try await base.createTable(id, schema: schema, partitionSpec: partitionSpec, properties: properties)
    }

    public func commit(_ id: TableIdentifier, requirements: [TableRequirement], updates: [TableUpdate]) async throws -> Table {
        try await base.commit(id, requirements: requirements, updates: updates)
    }
}

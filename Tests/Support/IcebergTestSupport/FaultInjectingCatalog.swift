import Iceberg
import Synchronization

/// A ``Catalog`` wrapper that fails scripted commits: with a conflict, with an unknown state before applying,
/// or with an unknown state or a conflict after actually applying (the "503 after commit" case).
public final class FaultInjectingCatalog: Catalog {
    public enum Fault: Sendable {
        /// Another writer commits `sideEffect` first, then this commit is attempted (and conflicts for real).
        case concurrentWriter(@Sendable (any Catalog) async throws -> Void)
        case conflict
        case unknownBeforeApply
        case unknownAfterApply
        /// The commit is applied, then answered 409: what a REST client's own retry of an applied request
        /// (same idempotency key) gets when the first answer was lost or a 5xx the catalog did not store.
        case conflictAfterApply
    }

    private let base: any Catalog
    private let faults: Mutex<[Fault]>
    private let commitCalls = Mutex(0)

    public init(base: any Catalog, faults: [Fault]) {
        self.base = base
        self.faults = Mutex(faults)
    }

    public var commits: Int { commitCalls.withLock { $0 } }

    public func createNamespaceIfNeeded(_ namespace: [String]) async throws { try await base.createNamespaceIfNeeded(namespace) }
    public func loadTable(_ id: TableIdentifier) async throws -> Table { try await base.loadTable(id) }
    public func createTable(_ id: TableIdentifier, schema: Schema, partitionSpec: PartitionSpec,
                     properties: [String: String]) async throws -> Table {
        try await base.createTable(id, schema: schema, partitionSpec: partitionSpec, properties: properties)
    }

    public func commit(_ id: TableIdentifier, requirements: [TableRequirement], updates: [TableUpdate]) async throws -> Table {
        commitCalls.withLock { $0 += 1 }
        let fault: Fault? = faults.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        switch fault {
        case nil:
            return try await base.commit(id, requirements: requirements, updates: updates)
        case .concurrentWriter(let write):
            try await write(base)
            return try await base.commit(id, requirements: requirements, updates: updates)
        case .conflict:
            throw CatalogError(.conflict, "injected conflict")
        case .unknownBeforeApply:
            throw CatalogError(.commitStateUnknown, "injected 503")
        case .unknownAfterApply:
            _ = try await base.commit(id, requirements: requirements, updates: updates)
            throw CatalogError(.commitStateUnknown, "injected 503 after commit")
        case .conflictAfterApply:
            _ = try await base.commit(id, requirements: requirements, updates: updates)
            throw CatalogError(.conflict, "injected 409 after commit")
        }
    }
}

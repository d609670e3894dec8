import Foundation
import Iceberg
import FloeSupport

/// What the coordinator tells operators and load balancers: readiness problems (catalog and
/// storage) and each table's freshness (docs/design.md §5).
extension FlushCoordinator {
    /// A check is reused this long: load balancers probe every few hundred milliseconds, and each
    /// check loads every table.
    static let readinessCheckInterval: Duration = .seconds(2)

    /// Records a commit for ``freshness(now:)`` and the metrics.
    func recordCommit(_ name: String, table: Table, oldestReceivedAt: [Int64]) {
        let now = WallClock.nowMicros()
        let files = table.metadata.currentSnapshot.flatMap { $0.summary["total-data-files"] }.flatMap { Int($0) }
        // The failure state is ``recordOutcome(_:error:)``'s alone: the flush that committed ends it there.
        var entry = freshnessByTable[name] ?? TableFreshness(table: name)
        entry.lastCommitMicros = now
        entry.snapshots = table.metadata.snapshots.count
        entry.dataFiles = files
        freshnessByTable[name] = entry
        metrics.tableCommitted(name, atMicros: now, snapshots: table.metadata.snapshots.count, dataFiles: files,
                               oldestReceivedAt: oldestReceivedAt)
    }

    /// Records how a flush of a table ended, for ``freshness(now:)`` and ``readinessProblems()``: a failure
    /// (`error`), or a success that committed or found a pending commit made (nil), which ends the failures.
    func recordOutcome(_ name: String, error: (any Error)?) {
        guard let error else {
            freshnessByTable[name]?.failure = nil
            return
        }
        let since = freshnessByTable[name]?.failure?.sinceMicros ?? WallClock.nowMicros()
        freshnessByTable[name, default: TableFreshness(table: name)].failure = .init(sinceMicros: since, lastError: "\(error)")
    }

    /// Every table's freshness, with the age of its oldest buffered event as of `now`.
    func freshness(now: Int64) -> [TableFreshness] {
        var oldest: [String: Int64] = [:]
        for (partition, stats) in buffer.stats() where stats.count > 0 {
            oldest[partition.table] = min(oldest[partition.table] ?? .max, stats.oldestReceivedAt)
        }
        return tables.map { definition in
            var entry = freshnessByTable[definition.name] ?? TableFreshness(table: definition.name)
            entry.oldestEventAgeMs = oldest[definition.name].map { max(0, (now - $0) / 1000) } ?? 0
            return entry
        }
    }

    /// Problems that make Floe unready: catalog or storage unreachable, or a table's flushes failing since
    /// its last commit (empty when ready).
    func readinessProblems() async -> [String] {
        // A table can load while its commits fail (storage that refuses writes, a catalog that rejects them).
        let failing = failingTables()
        if let last = lastReadinessCheck, ContinuousClock.now - last.at < Self.readinessCheckInterval {
            return last.problems + failing
        }
        // Bounded: a catalog that refuses connections is retried by the HTTP client until its timeout.
        let problems = await waitAtMost(Self.readinessCheckTimeout) { await self.checkTables() }
            ?? ["catalog: no answer within \(Int(Self.readinessCheckTimeout.inSeconds)) s"]
        lastReadinessCheck = (.now, problems)
        return problems + failing
    }

    static let readinessCheckTimeout: Duration = .seconds(3)

    /// What the last check found, and the tables whose flushes fail, without waiting on the catalog (a probe
    /// with a short timeout must get its answer); a check older than ``readinessCheckInterval`` is run again in
    /// the background, for the next probe.
    func knownReadinessProblems() -> [String] {
        let stale = lastReadinessCheck.map { ContinuousClock.now - $0.at >= Self.readinessCheckInterval } ?? true
        if stale, !readinessCheckRunning {
            readinessCheckRunning = true
            Task {
                _ = await self.readinessProblems()
                self.readinessCheckRunning = false
            }
        }
        return (lastReadinessCheck?.problems ?? []) + failingTables()
    }

    private func failingTables() -> [String] {
        tables.compactMap { definition in
            freshnessByTable[definition.name]?.failure.map {
                "\(definition.name): flushes failing since \(Timestamp.rfc3339($0.sinceMicros)): \($0.lastError)"
            }
        }
    }

    private func checkTables() async -> [String] {
        var problems: [String] = []
        for definition in tables {
            do {
                let table = try await catalog.loadTable(writer.identifier(definition))
                // The catalog keeps the metadata it committed (TableMetadataCache), so the file itself is read here.
                let bytes: [UInt8]
                do {
                    bytes = try await fileIO.read(table.metadataLocation)
                } catch let error as FileIOError where error.code == .notFound {
                    problems.append("\(definition.name): current metadata file \(table.metadataLocation) is missing")
                    continue
                }
                if (try? TableMetadata.decode(jsonBytes: bytes)) == nil {
                    problems.append("\(definition.name): current metadata file \(table.metadataLocation) is unreadable")
                }
            } catch let error as CatalogError where error.isMissingTable {
                continue
            } catch {
                problems.append("\(definition.name): \(error)")
            }
        }
        return problems
    }
}

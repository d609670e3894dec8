import Foundation
import NIOPosix
import SQLite
import FloeSupport

extension SQLCatalog {
    /// Default of ``TableProperty/metadataPreviousVersionsMax``.
    public static let defaultPreviousVersionsMax = 100

    public func commit(_ id: TableIdentifier, requirements: [TableRequirement], updates: [TableUpdate]) async throws -> Table {
        let current = try await loadTable(id)
        var context = ["table": id.description]
        for requirement in requirements {
            if let violation = requirement.violation(in: current.metadata) {
                context["requirement"] = violation
                throw CatalogError(.conflict, "commit requirement failed", context: context)
            }
        }
        var updated = try current.metadata.applying(updates, nowMs: WallClock.nowMillis())
        if updated == current.metadata { return current }

        let (logged, expired) = Self.appendMetadataLog(
            updated.metadataLog,
            MetadataLogEntry(metadataFile: current.metadataLocation, timestampMs: current.metadata.lastUpdatedMs),
            max: Int(updated.properties[TableProperty.metadataPreviousVersionsMax] ?? "") ?? Self.defaultPreviousVersionsMax)
        updated.metadataLog = logged
        let version = (Self.metadataVersion(of: current.metadataLocation) ?? logged.count - 1) + 1
        let location = Self.metadataFileLocation(updated, version: version)
        do {
            var encoded = metadataCache.encodedSnapshots(of: id)
            let bytes = try updated.jsonBytes(reusing: &encoded)
            metadataCache.store(encoded, of: id)
            try await fileIO.write(bytes, to: location)
        } catch let error as FileIOError {
            throw CatalogError(.io, "writing table metadata failed", context: context, underlying: error)
        }

        let changed: Int
        do {
            // On the blocking-I/O pool like every catalog call, keeping SQLite's own error: busy is a conflict, below.
            changed = try await NIOThreadPool.singleton.runIfActive {
                let connection = try SQLiteDatabase(path: self.databasePath, busyTimeoutMs: Self.defaultBusyTimeoutMs)
                return try connection.update("""
                    UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ?
                    WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?
                    """, [.text(location), .text(current.metadataLocation), .text(self.catalogName),
                          .text(id.namespaceString), .text(id.name), .text(current.metadataLocation)])
            }
        } catch let failure as SQLiteError {
            context["sqlite_code"] = String(failure.code)
            if failure.isBusy {
                // A statement that could not take the lock changed nothing.
                try? await fileIO.delete(location)
                throw CatalogError(.conflict, "catalog database is locked", context: context)
            }
            throw CatalogError(.commitStateUnknown, "updating the table row failed", context: context)
        }
        guard changed > 0 else {
            try? await fileIO.delete(location)
            throw CatalogError(.conflict, "table was updated by another writer", context: context)
        }
        logger.debug("committed table metadata", metadata: [
            "floe.table": "\(id)", "iceberg.metadata_location": "\(location)",
        ])
        if updated.properties[TableProperty.metadataDeleteAfterCommit]?.lowercased() == "true" {
            for entry in expired {
                do {
                    try await fileIO.delete(entry.metadataFile)
                } catch {
                    logger.warning("deleting an old metadata file failed", metadata: [
                        "floe.table": "\(id)", "iceberg.metadata_location": "\(entry.metadataFile)",
                    ])
                }
            }
        }
        metadataCache.store(updated, of: id, at: location)
        return Table(identifier: id, metadataLocation: location, metadata: updated)
    }

    /// The log with `entry` appended and trimmed to the newest `max` entries (at least one), and what was trimmed.
    static func appendMetadataLog(_ log: [MetadataLogEntry], _ entry: MetadataLogEntry, max: Int)
        -> (log: [MetadataLogEntry], expired: [MetadataLogEntry]) {
        let all = log + [entry]
        let keep = Swift.max(1, max)
        guard all.count > keep else { return (all, []) }
        return (Array(all.suffix(keep)), Array(all.prefix(all.count - keep)))
    }
}

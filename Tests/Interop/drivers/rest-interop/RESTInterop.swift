import Foundation
import Iceberg
import Logging

// Drives RESTCatalog + TableAppender for Tests/Interop/test_rest_catalog.py. Settings come from the environment:
// FLOE_REST_URI, FLOE_REST_WAREHOUSE, FLOE_REST_TOKEN or FLOE_REST_CLIENT_ID + FLOE_REST_CLIENT_SECRET
// (+ FLOE_REST_SCOPE), FLOE_REST_TIMEOUT_MS, FLOE_REST_TABLE (`ns.table`).
// Commands (one JSON object per line on stdout):
//   create                 create the namespace and the table (id long, category string, value string;
//                          identity(category)), print the catalog's field ids, spec and vended config keys
//   append PLAN.json       [{"commit_id":…, "files":[{"path":…, "category":…, "rows":…, "size":…}]}]: one
//                          append per entry; an unknown outcome is recovered as Floe's flush does (retry the
//                          same commit id, which TableAppender first looks for in the table)
//   drop                   drop the table

struct Failure: Error, CustomStringConvertible {
    var description: String
}

func environment(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}

func emit(_ object: [String: Any]) {
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
       let line = String(data: data, encoding: .utf8) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

func makeCatalog(logger: Logger) throws -> RESTCatalog {
    guard let uri = environment("FLOE_REST_URI") else { throw Failure(description: "FLOE_REST_URI is not set") }
    var configuration = RESTCatalog.Configuration(uri: uri, warehouse: environment("FLOE_REST_WAREHOUSE"))
    if let token = environment("FLOE_REST_TOKEN") {
        configuration.authentication = .bearer(token)
    } else if let id = environment("FLOE_REST_CLIENT_ID"), let secret = environment("FLOE_REST_CLIENT_SECRET") {
        configuration.authentication = .oauth2(.init(clientId: id, clientSecret: secret,
                                                     scope: environment("FLOE_REST_SCOPE") ?? RESTCatalog.OAuth2Credential.defaultScope))
    }
    if let timeout = environment("FLOE_REST_TIMEOUT_MS").flatMap(Int64.init) {
        configuration.timeouts.request = .milliseconds(timeout)
        configuration.timeouts.mutation = .milliseconds(timeout)
    }
    configuration.retry.initialBackoff = .milliseconds(50)
    configuration.retry.maxBackoff = .milliseconds(500)
    return RESTCatalog(configuration: configuration, logger: logger)
}

func tableIdentifier() -> TableIdentifier {
    let parts = (environment("FLOE_REST_TABLE") ?? "interop.items").split(separator: ".").map(String.init)
    return TableIdentifier(namespace: Array(parts.dropLast()), name: parts.last ?? "items")
}

let schema = Schema(schemaId: 0, fields: [
    NestedField(id: 1, name: "id", required: true, type: .long),
    NestedField(id: 2, name: "category", required: true, type: .string),
    NestedField(id: 3, name: "value", required: false, type: .string),
])
let spec = PartitionSpec(specId: 0, fields: [PartitionField(sourceId: 2, fieldId: 1000, name: "category", transform: "identity")])

struct PlanFile: Decodable {
    var path: String
    var category: String
    var rows: Int64
    var size: Int64
}

struct PlanCommit: Decodable {
    var commit_id: String
    var files: [PlanFile]
}

func append(planPath: String, catalog: RESTCatalog, logger: Logger) async throws {
    let plan = try JSONDecoder().decode([PlanCommit].self, from: Data(contentsOf: URL(fileURLWithPath: planPath)))
    let id = tableIdentifier()
    var appender = TableAppender(catalog: catalog, fileIO: LocalFileIO(), logger: logger)
    var policy = CommitRetryPolicy()
    policy.numRetries = 50
    policy.minWait = .milliseconds(20)
    policy.maxWait = .milliseconds(500)
    appender.retryPolicy = policy
    for commit in plan {
        let files = commit.files.map {
            DataFile(filePath: $0.path, partition: [.string($0.category)], recordCount: $0.rows, fileSizeInBytes: $0.size)
        }
        var recoveries = 0
        while true {
            do {
                let result = try await appender.append(to: id, files: files, commitId: commit.commit_id)
                emit(["commit_id": commit.commit_id, "snapshot_id": result.snapshotId, "attempts": result.attempts,
                      "recoveries": recoveries])
                break
            } catch let error as CatalogError
                        where [.commitStateUnknown, .unavailable, .conflict].contains(error.code) && recoveries < 30 {
                // What Floe's flush recovery does: the same commit id again, found if it was applied.
                recoveries += 1
                emit(["commit_id": commit.commit_id, "recovering": "\(error.code)"])
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

@main
struct RESTInterop {
    static func main() async {
        var logger = Logger(label: "rest-interop")
        logger.logLevel = environment("FLOE_REST_LOG") == "debug" ? .debug : .warning
        let arguments = CommandLine.arguments.dropFirst()
        do {
            let catalog = try makeCatalog(logger: logger)
            switch arguments.first {
            case "create":
                let id = tableIdentifier()
                let table = try await catalog.loadOrCreateTable(id, schema: schema, partitionSpec: spec)
                let fields = table.metadata.currentSchema?.fields.map { ["id": Int($0.id), "name": $0.name] as [String: Any] } ?? []
                let specFields = table.metadata.defaultSpec?.fields.map {
                    ["source_id": Int($0.sourceId), "field_id": Int($0.fieldId), "name": $0.name] as [String: Any]
                } ?? []
                emit(["metadata_location": table.metadataLocation, "location": table.metadata.location, "fields": fields,
                      "spec": specFields, "config_keys": table.config.keys.sorted(),
                      "namespaces": try await catalog.listNamespaces().map { $0.joined(separator: ".") },
                      "tables": try await catalog.listTables(id.namespace).map(\.name)])
            case "append":
                guard let plan = arguments.dropFirst().first else { throw Failure(description: "append needs a plan file") }
                try await append(planPath: plan, catalog: catalog, logger: logger)
            case "drop":
                try await catalog.dropTable(tableIdentifier())
                emit(["dropped": tableIdentifier().description])
            default:
                throw Failure(description: "usage: rest-interop create | append PLAN.json | drop")
            }
        } catch let error as CatalogError {
            emit(["error": "\(error.code)", "message": error.message])
            exit(2)
        } catch {
            emit(["error": "other", "message": "\(error)"])
            exit(1)
        }
    }
}

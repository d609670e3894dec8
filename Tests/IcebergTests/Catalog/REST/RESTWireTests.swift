#if canImport(IcebergREST)
@testable import Iceberg
#endif
@testable import Iceberg
import Foundation
import Testing

@Suite("REST wire shapes")
struct RESTWireTests {
    @Test("namespace levels are joined with 0x1F and percent-encoded", arguments: [
        (["accounting"], "https://c/v1/ws/namespaces/accounting"),
        (["accounting", "tax"], "https://c/v1/ws/namespaces/accounting%1Ftax"),
        (["a b", "ü/x"], "https://c/v1/ws/namespaces/a%20b%1F%C3%BC%2Fx"),
    ])
    func namespacePath(namespace: [String], expected: String) {
        #expect(RESTPaths(base: "https://c", prefix: "ws").namespace(namespace) == expected)
    }

    @Test("routes carry the prefix, the table name and the query encoded")
    func routes() {
        let paths = RESTPaths(base: "https://c/acct/bucket", prefix: "acct_bucket")
        #expect(paths.config(warehouse: "acct_bucket") == "https://c/acct/bucket/v1/config?warehouse=acct_bucket")
        #expect(paths.table(TableIdentifier(namespace: ["a", "b"], name: "t 1"), purgeRequested: false)
            == "https://c/acct/bucket/v1/acct_bucket/namespaces/a%1Fb/tables/t%201?purgeRequested=false")
        #expect(paths.namespaces(parent: ["accounting", "tax"]) == "https://c/acct/bucket/v1/acct_bucket/namespaces?parent=accounting%1Ftax")
        #expect(RESTPaths(base: "https://c").tables(in: ["n"]) == "https://c/v1/namespaces/n/tables")
        #expect(String(decoding: RESTPaths.form([("grant_type", "client_credentials"), ("scope", "PRINCIPAL_ROLE:ALL")]),
                       as: UTF8.self) == "grant_type=client_credentials&scope=PRINCIPAL_ROLE%3AALL")
    }

    @Test("a commit request has the spec's requirement and update shapes")
    func commitRequest() throws {
        let snapshot = Snapshot(snapshotId: 2, parentSnapshotId: nil, sequenceNumber: 1, timestampMs: 5, manifestList: "m.avro",
                                summary: ["operation": "append"], schemaId: 0)
        let body = RESTWire.CommitTableRequest(
            identifier: .init(namespace: ["analytics"], name: "events"),
            requirements: [.assertTableUUID("u-1"), .assertRefSnapshotID(ref: "main", snapshotId: nil)],
            updates: [.addSnapshot(snapshot), .setSnapshotRef(name: "main", reference: SnapshotReference(snapshotId: 2))])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(RESTCatalog.json(body))) as? [String: Any])
        let requirements = try #require(json["requirements"] as? [[String: Any]])
        #expect(requirements[0]["type"] as? String == "assert-table-uuid")
        #expect(requirements[0]["uuid"] as? String == "u-1")
        #expect(requirements[1]["type"] as? String == "assert-ref-snapshot-id")
        #expect(requirements[1]["ref"] as? String == "main")
        #expect(requirements[1]["snapshot-id"] is NSNull, "null means the ref must not exist")
        let updates = try #require(json["updates"] as? [[String: Any]])
        #expect(updates[0]["action"] as? String == "add-snapshot")
        #expect((updates[0]["snapshot"] as? [String: Any])?["manifest-list"] as? String == "m.avro")
        #expect(updates[1]["action"] as? String == "set-snapshot-ref")
        #expect(updates[1]["ref-name"] as? String == "main")
        #expect(updates[1]["type"] as? String == "branch")
        #expect(updates[1]["snapshot-id"] as? Int == 2)
        #expect((json["identifier"] as? [String: Any])?["name"] as? String == "events")
    }

    @Test("remove-statistics and remove-partition-statistics round-trip with a snapshot-id")
    func removeStatistics() throws {
        let table = try RESTCatalog.json(TableUpdate.removeStatistics(snapshotId: 7))
        #expect(String(decoding: table, as: UTF8.self) == #"{"action":"remove-statistics","snapshot-id":7}"#)
        #expect(try JSONDecoder().decode(TableUpdate.self, from: Data(table)) == .removeStatistics(snapshotId: 7))
        let partition = try RESTCatalog.json(TableUpdate.removePartitionStatistics(snapshotId: 7))
        #expect(String(decoding: partition, as: UTF8.self) == #"{"action":"remove-partition-statistics","snapshot-id":7}"#)
        #expect(try JSONDecoder().decode(TableUpdate.self, from: Data(partition)) == .removePartitionStatistics(snapshotId: 7))
    }

    @Test("remove-snapshots round-trips with snapshot-ids")
    func removeSnapshots() throws {
        let bytes = try RESTCatalog.json(TableUpdate.removeSnapshots([1, 2]))
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"action":"remove-snapshots","snapshot-ids":[1,2]}"#)
        #expect(try JSONDecoder().decode(TableUpdate.self, from: Data(bytes)) == .removeSnapshots([1, 2]))
    }

    @Test("the spec's response examples decode")
    func specExamples() throws {
        let config = try JSONDecoder().decode(RESTWire.CatalogConfig.self, from: Data(#"""
            {"overrides": {"warehouse": "s3://bucket/warehouse/"}, "defaults": {"clients": "4"},
             "idempotency-key-lifetime": "PT30M",
             "endpoints": ["GET /v1/{prefix}/namespaces/{namespace}", "GET /v1/{prefix}/namespaces"]}
            """#.utf8))
        #expect(config.idempotencyKeyLifetime == "PT30M")
        #expect(config.defaults?["clients"] == "4")
        let namespaces = try JSONDecoder().decode(RESTWire.ListNamespacesResponse.self, from: Data(#"""
            {"namespaces": [["accounting", "tax"], ["accounting", "credits"]]}
            """#.utf8))
        #expect(namespaces.namespaces == [["accounting", "tax"], ["accounting", "credits"]])
        #expect(namespaces.nextPageToken == nil)
        let tables = try JSONDecoder().decode(RESTWire.ListTablesResponse.self, from: Data(#"""
            {"identifiers": [{"namespace": ["accounting", "tax"], "name": "paid"}], "next-page-token": null}
            """#.utf8))
        #expect(tables.identifiers?.first == .init(namespace: ["accounting", "tax"], name: "paid"))
        let error = try JSONDecoder().decode(RESTWire.ErrorResponse.self, from: Data(#"""
            {"error": {"message": "The given table does not exist", "type": "NoSuchTableException", "code": 404}}
            """#.utf8))
        #expect(error.error.type == "NoSuchTableException")
        let load = try JSONDecoder().decode(RESTWire.LoadTableResult.self, from: Data(RESTFixtures.loadResult(
            config: #"{"s3.access-key-id": "AK"}"#, credentials: #"[{"prefix": "s3://b/", "config": {"s3.session-token": "T"}}]"#).utf8))
        #expect(load.config?["s3.access-key-id"] == "AK")
        #expect(load.storageCredentials?.first?.prefix == "s3://b/")
    }

    @Test("a create-table request names the schema, spec and properties with the spec's keys")
    func createTable() throws {
        let body = RESTWire.CreateTableRequest(
            name: "events", location: nil, schema: Schema(fields: [NestedField(id: 1, name: "id", required: true, type: .long)]),
            partitionSpec: PartitionSpec(fields: [PartitionField(sourceId: 1, fieldId: 1000, name: "id_b", transform: "bucket[4]")]),
            writeOrder: nil, stageCreate: false, properties: ["k": "v"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(RESTCatalog.json(body))) as? [String: Any])
        #expect(json["name"] as? String == "events")
        #expect((json["schema"] as? [String: Any])?["type"] as? String == "struct")
        #expect(((json["partition-spec"] as? [String: Any])?["fields"] as? [[String: Any]])?.first?["source-id"] as? Int == 1)
        #expect(json["stage-create"] as? Bool == false)
        #expect(json["location"] == nil)
    }

    @Test("idempotency keys are UUIDv7 and lifetimes parse as ISO-8601 durations")
    func idempotencyKeys() {
        let key = IdempotencyKey.make(now: Date(timeIntervalSince1970: 1_700_000_000))
        let parts = key.split(separator: "-")
        #expect(key.count == 36 && parts.map(\.count) == [8, 4, 4, 4, 12])
        #expect(parts[2].first == "7")
        #expect(["8", "9", "a", "b"].contains(parts[3].first))
        #expect(parts[0] == "018bcfe5", "48-bit Unix milliseconds lead the key")
        #expect(IdempotencyKey.make() != IdempotencyKey.make())
        #expect(IdempotencyKey.lifetime(parsing: "PT30M") == .seconds(1800))
        #expect(IdempotencyKey.lifetime(parsing: "P1DT1H") == .seconds(90_000))
        #expect(IdempotencyKey.lifetime(parsing: "PT1.5S") == .milliseconds(1500))
        #expect(IdempotencyKey.lifetime(parsing: "30 minutes") == nil)
        #expect(IdempotencyKey.lifetime(parsing: "P") == nil)
    }
}

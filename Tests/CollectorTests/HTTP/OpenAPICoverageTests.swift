@testable import Collector
import Foundation
import Testing

/// Keeps the in-process HTTP tests and openapi.yaml's response codes together: every status the
/// contract lists is either exercised by a named test or explicitly documented as never sent.
@Suite("openapi.yaml coverage")
struct OpenAPICoverageTests {
    /// Status → the tests (in Tests/CollectorTests/HTTP/) that assert a response with it.
    static let coveredStatuses: [Int: [String]] = [
        200: ["IngestRoutesTests.everySegmentRoute", "IngestRoutesTests.cloudEventRoutes",
              "OperationsRoutesTests.health", "OperationsRoutesTests.readinessPhases", "OperationsRoutesTests.metrics",
              "OperationsRoutesTests.status", "OperationsRoutesTests.flush", "OperationsRoutesTests.listObjects"],
        204: ["AuthAndCORSTests.preflight", "AuthAndCORSTests.wildcard"],
        400: ["IngestRoutesTests.badRequests", "IngestRoutesTests.strictBatches", "OperationsRoutesTests.listObjects"],
        401: ["AuthAndCORSTests.unauthorized", "AuthAndCORSTests.adminWithAPIKey", "AuthAndCORSTests.adminToken"],
        404: ["IngestRoutesTests.unknownRoutes"],
        405: ["IngestRoutesTests.wrongMethods"],
        413: ["IngestRoutesTests.tooLarge", "IngestRoutesTests.strictEventTooLarge"],
        415: ["IngestRoutesTests.unsupportedMediaType"],
        429: ["CapacityTests.rateLimitByAddress", "CapacityTests.rateLimitByKey"],
        503: ["CapacityTests.backlog", "CapacityTests.bufferBudget", "OperationsRoutesTests.readinessPhases",
              "OperationsRoutesTests.readinessCatalogProblem", "OperationsRoutesTests.flushFailure"],
        507: ["CapacityTests.partitionFull"],
    ]

    /// Statuses openapi.yaml lists that no route answers today, and why (none: the contract lists
    /// only what Floe sends).
    static let documentedButNeverSent: [Int: String] = [:]

    static var openAPIPath: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // HTTP
            .deletingLastPathComponent()  // CollectorTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the package
            .appendingPathComponent("openapi.yaml")
    }

    /// Every `'NNN':` response key in the document.
    static func documentedStatuses() throws -> Set<Int> {
        let text = try String(contentsOf: openAPIPath, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"^\s+'([1-5][0-9]{2})':"#, options: [.anchorsMatchLines])
        let range = NSRange(text.startIndex..., in: text)
        return Set(pattern.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).flatMap { Int(text[$0]) }
        })
    }

    @Test("every status code in openapi.yaml is exercised by a test or documented as never sent")
    func everyDocumentedStatusIsCovered() throws {
        let documented = try Self.documentedStatuses()
        // The parse itself: the contract's core codes must be found.
        #expect(documented.isSuperset(of: [200, 400, 401, 413, 415, 429, 503, 507]))
        let accounted = Set(Self.coveredStatuses.keys).union(Self.documentedButNeverSent.keys)
        #expect(documented.subtracting(accounted).isEmpty,
                "statuses in openapi.yaml without a test: \(documented.subtracting(accounted).sorted())")
        #expect(Set(Self.coveredStatuses.keys).isDisjoint(with: Self.documentedButNeverSent.keys))
        // A status noted as never sent must still be in the contract (else drop the note).
        #expect(Set(Self.documentedButNeverSent.keys).isSubset(of: documented))
    }

    @Test("the tests named for each status exist in Tests/CollectorTests/HTTP")
    func namedTestsExist() throws {
        let folder = Self.openAPIPath.deletingLastPathComponent().appendingPathComponent("Tests/CollectorTests/HTTP")
        var sources: [String: String] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
            sources[String(file.dropLast(".swift".count))] = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        }
        for (status, tests) in Self.coveredStatuses {
            #expect(!tests.isEmpty)
            for test in tests {
                let parts = test.split(separator: ".")
                let source = sources[String(parts[0])] ?? ""
                #expect(source.contains("func \(parts[1])()"), "\(status): \(test) not found")
                #expect(source.contains("\(status)") || status == 200 || status == 204,
                        "\(status): \(parts[0]) never mentions the status")
            }
        }
    }

    @Test("every metric Floe exports is named in openapi.yaml's /metrics answer")
    func everyMetricIsDocumented() throws {
        let text = try String(contentsOf: Self.openAPIPath, encoding: .utf8)
        let missing = MetricHelp.texts.keys.filter { !text.contains("`\($0)`") && !text.contains("`\($0){") }.sorted()
        #expect(MetricHelp.texts.count > 20)
        #expect(missing.isEmpty, "metrics without a mention in openapi.yaml: \(missing)")
    }
}

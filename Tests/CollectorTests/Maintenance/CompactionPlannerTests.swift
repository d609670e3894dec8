@testable import Collector
import Iceberg
import Testing

/// What ``CompactionPlanner`` picks: small files of closed partitions, in bins of the target size,
/// oldest partitions first, within the byte budget.
struct CompactionPlannerTests {
    static let hour: Int32 = 480_000
    static let hourMs = Int64(hour) * 3_600_000

    static func file(_ name: String, type: String = "track", hour: Int32 = hour, size: Int64, sequence: Int64 = 1,
                     deletes: Bool = false) -> LiveFile {
        LiveFile(content: deletes ? .positionDeletes : .data, location: name, partition: [.string(type), .int(hour)],
                 recordCount: 10, fileSizeInBytes: size, sequenceNumber: sequence)
    }

    let planner = CompactionPlanner(targetFileSizeBytes: 1000, graceMs: 600_000, maxBytes: 10_000)

    @Test func onlyClosedPartitionsAreCompacted() throws {
        let files = [Self.file("a", size: 10), Self.file("b", size: 10)]
        // The hour ended 5 minutes ago: within the 10-minute grace.
        #expect(try planner.plan(files, nowMs: Self.hourMs + 3_600_000 + 300_000).bins.isEmpty)
        let plan = try planner.plan(files, nowMs: Self.hourMs + 3_600_000 + 600_000)
        #expect(plan.bins.map { $0.inputs.map(\.location) } == [["a", "b"]])
    }

    @Test func filesAtTheTargetSizeStayAndOneSmallFileAloneIsLeft() throws {
        let now = Self.hourMs + 10 * 3_600_000
        let files = [Self.file("big", size: 800), Self.file("small", size: 100),
                     Self.file("p1", type: "page", size: 100), Self.file("p2", type: "page", size: 749)]
        let plan = try planner.plan(files, nowMs: now)
        #expect(plan.bins.map { $0.inputs.map(\.location) } == [["p1", "p2"]])
    }

    @Test func binsHoldAtMostTheTargetInSequenceOrderAndTheBudgetDefers() throws {
        let now = Self.hourMs + 10 * 3_600_000
        let files = (0..<7).map { Self.file("f\($0)", size: 400, sequence: Int64(7 - $0)) }
            + [Self.file("old1", hour: Self.hour - 1, size: 300), Self.file("old2", hour: Self.hour - 1, size: 300)]
        var budgeted = planner
        budgeted.maxBytes = 1500
        let plan = try budgeted.plan(files, nowMs: now)
        // The older hour first; then pairs of 400-byte files, newest sequence last; the budget stops the rest.
        #expect(plan.bins.map { $0.inputs.map(\.location) } == [["old1", "old2"], ["f6", "f5"]])
        #expect(plan.deferred == 2)  // [f4, f3] over the budget, [f2, f1] too; [f0] alone is not a bin
        #expect(try planner.plan(files, nowMs: now).bins.count == 4)
    }

    @Test func aSingleSmallFileThatDeletesNameIsRewritten() throws {
        let now = Self.hourMs + 10 * 3_600_000
        let files = [Self.file("a", size: 100), Self.file("d", size: 50, sequence: 2, deletes: true)]
        let plan = try planner.plan(files, nowMs: now, named: ["a"])
        #expect(plan.bins.map { $0.inputs.map(\.location) } == [["a"]])
        #expect(planner.closedDeletes(files, nowMs: now).values.flatMap { $0 }.map(\.location) == ["d"])
    }

    @Test("one small file beside deletes of another file is not a bin, and costs none of the budget")
    func aSingleSmallFileBesideOtherDeletesIsLeft() throws {
        let now = Self.hourMs + 10 * 3_600_000
        // Hour 0: one small file, and deletes naming a large one. Hour 1: two small files.
        let files = [Self.file("small", size: 100), Self.file("large", size: 1_000_000),
                     Self.file("d", size: 50, sequence: 2, deletes: true),
                     Self.file("b1", hour: Self.hour + 1, size: 100), Self.file("b2", hour: Self.hour + 1, size: 100)]
        var budgeted = planner
        budgeted.maxBytes = 150
        let plan = try budgeted.plan(files, nowMs: now, named: ["large"])
        #expect(plan.bins.map { $0.inputs.map(\.location) } == [["b1", "b2"]])
        #expect(plan.deferred == 0)
    }

    /// A manifest of hours `first...last` (a summary of the type and the hour, as Floe writes it).
    static func manifest(hours first: Int32, _ last: Int32, summaries: Bool = true) -> ManifestFile {
        ManifestFile(manifestPath: "m", manifestLength: 100, partitionSpecId: 0, sequenceNumber: 1, minSequenceNumber: 1,
                     addedSnapshotId: 1, addedFilesCount: 1, existingFilesCount: 0, deletedFilesCount: 0,
                     addedRowsCount: 10, existingRowsCount: 0, deletedRowsCount: 0,
                     partitions: summaries ? [
                         .init(containsNull: false, lowerBound: Array("page".utf8), upperBound: Array("track".utf8)),
                         .init(containsNull: false, lowerBound: SingleValueEncoding.int(first), upperBound: SingleValueEncoding.int(last)),
                     ] : nil)
    }

    @Test func manifestsOfOpenHoursOnlyAreNotRead() {
        let now = Self.hourMs + 3_600_000 + 600_000  // `hour` has just closed; `hour + 1` is open
        #expect(planner.mayHoldClosedPartition(Self.manifest(hours: Self.hour, Self.hour + 1), nowMs: now))
        #expect(planner.mayHoldClosedPartition(Self.manifest(hours: Self.hour - 5, Self.hour - 5), nowMs: now))
        #expect(!planner.mayHoldClosedPartition(Self.manifest(hours: Self.hour + 1, Self.hour + 1), nowMs: now))
        #expect(!planner.mayHoldClosedPartition(Self.manifest(hours: Self.hour, Self.hour), nowMs: now - 1))
        // Without a summary (or one that is not Floe's), the manifest is read.
        #expect(planner.mayHoldClosedPartition(Self.manifest(hours: Self.hour + 1, Self.hour + 1, summaries: false), nowMs: now))
    }
}

@testable import Collector
import Testing

/// Which rows ``DuplicateFinder`` deletes: later copies within a partition and the hour after it.
struct DuplicateFinderTests {
    static func key(_ n: UInt64) -> DuplicateFinder.Key { DuplicateFinder.Key(high: n, low: n) }

    static func file(_ location: String, sequence: Int64, _ keys: [UInt64?], deleted: Set<Int64> = []) -> DuplicateFinder.ScannedFile {
        DuplicateFinder.ScannedFile(location: location, sequenceNumber: sequence, keys: keys.map { $0.map(key) }, deleted: deleted)
    }

    static func pairs(_ found: [(path: String, position: Int64)]) -> [String] { found.map { "\($0.path)#\($0.position)" } }

    @Test func theOldestCopyIsKept() {
        var finder = DuplicateFinder()
        let track = PartitionKey(type: "track", hours: 10)
        // Given out of order: the file of sequence 1 is read first, then "a" before "b" at sequence 2.
        let found = finder.duplicates(in: track, files: [
            Self.file("b", sequence: 2, [1, 5]),
            Self.file("z", sequence: 1, [1, 2, 2, nil, nil]),
            Self.file("a", sequence: 2, [5, 3]),
        ])
        #expect(Self.pairs(found) == ["z#2", "b#0", "b#1"])
    }

    @Test func deletedRowsAreNeitherDuplicatesNorKept() {
        var finder = DuplicateFinder()
        let found = finder.duplicates(in: PartitionKey(type: "track", hours: 10), files: [
            Self.file("f1", sequence: 1, [7, 7, 8], deleted: [0]),
            Self.file("f2", sequence: 2, [8, 9], deleted: [0]),
        ])
        // Row 0 of f1 is gone, so row 1 is the copy kept; f2's 8 is already deleted.
        #expect(Self.pairs(found).isEmpty)
    }

    @Test func aCopyInTheNextHourOfTheSameTypeIsADuplicate() {
        var finder = DuplicateFinder()
        #expect(finder.duplicates(in: PartitionKey(type: "page", hours: 9), files: [Self.file("p9", sequence: 1, [4])]).isEmpty)
        #expect(finder.duplicates(in: PartitionKey(type: "track", hours: 9), files: [Self.file("t9", sequence: 1, [1, 2])]).isEmpty)
        let next = finder.duplicates(in: PartitionKey(type: "track", hours: 10), files: [Self.file("t10", sequence: 2, [2, 3, 4])])
        #expect(Self.pairs(next) == ["t10#0"])  // 4 was a page: another partition, not a copy
        // Two hours later is not the next hour: nothing carries over.
        let later = finder.duplicates(in: PartitionKey(type: "track", hours: 12), files: [Self.file("t12", sequence: 3, [3])])
        #expect(later.isEmpty)
    }
}

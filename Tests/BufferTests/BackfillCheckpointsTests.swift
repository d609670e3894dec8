import Buffer
import Foundation
import Testing

@Suite("BackfillCheckpoints")
struct BackfillCheckpointsTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("floe-backfill-\(UUID().uuidString).db").path

    @Test("a finished unit advances its files and a changed file starts over")
    func finishAdvances() throws {
        let checkpoints = try BackfillCheckpoints(path: path)
        let file = BackfillCheckpoints.FileState(path: "/in/a.ndjson", size: 100, modified: 7)
        #expect(try checkpoints.state(of: file) == file)
        let unit = BackfillCheckpoints.Unit(commitIds: ["events": "c1"], ranges: [
            .init(path: "/in/a.ndjson", fromLine: 0, toLine: 40, endsFile: false),
        ], receivedAt: 5)
        try checkpoints.begin(unit)
        #expect(try checkpoints.pendingUnit() == unit)
        try checkpoints.finish(unit, files: ["/in/a.ndjson": file])
        #expect(try checkpoints.pendingUnit() == nil)
        #expect(try checkpoints.state(of: file).committedLines == 40)
        #expect(try checkpoints.state(of: file).complete == false)

        let reopened = try BackfillCheckpoints(path: path)
        let last = BackfillCheckpoints.Unit(commitIds: ["events": "c2"], ranges: [
            .init(path: "/in/a.ndjson", fromLine: 40, toLine: 90, endsFile: true),
        ], receivedAt: 6)
        try reopened.begin(last)
        try reopened.finish(last, files: ["/in/a.ndjson": file])
        #expect(try reopened.state(of: file).complete)
        var changed = file
        changed.size = 120
        #expect(try reopened.state(of: changed) == changed)
    }
}

import Buffer
import Foundation
import Testing

@Suite("BackfillCheckpoints")
struct BackfillCheckpointsTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("floe-backfill-\(UUID().uuidString).db").path
    let none: (Int64) -> String? = { _ in nil }

    @Test("a finished unit advances its files and a changed file starts over")
    func finishAdvances() throws {
        let checkpoints = try BackfillCheckpoints(path: path)
        let file = BackfillCheckpoints.FileState(path: "/in/a.ndjson", size: 100, modified: 7)
        #expect(try checkpoints.state(of: file, fingerprint: none) == file)
        let unit = BackfillCheckpoints.Unit(commitIds: ["events": "c1"], ranges: [
            .init(path: "/in/a.ndjson", fromLine: 0, toLine: 40, endsFile: false),
        ], receivedAt: 5)
        try checkpoints.begin(unit)
        #expect(try checkpoints.pendingUnit() == unit)
        try checkpoints.finish(unit, files: ["/in/a.ndjson": file])
        #expect(try checkpoints.pendingUnit() == nil)
        #expect(try checkpoints.state(of: file, fingerprint: none).committedLines == 40)
        #expect(try checkpoints.state(of: file, fingerprint: none).complete == false)

        let reopened = try BackfillCheckpoints(path: path)
        let last = BackfillCheckpoints.Unit(commitIds: ["events": "c2"], ranges: [
            .init(path: "/in/a.ndjson", fromLine: 40, toLine: 90, endsFile: true),
        ], receivedAt: 6)
        try reopened.begin(last)
        try reopened.finish(last, files: ["/in/a.ndjson": file])
        #expect(try reopened.state(of: file, fingerprint: none).complete)
        var changed = file
        changed.size = 120
        #expect(try reopened.state(of: changed, fingerprint: none) == changed)
    }

    @Test("a file whose first bytes are unchanged keeps its progress when touched and continues when grown")
    func fingerprints() throws {
        let checkpoints = try BackfillCheckpoints(path: path)
        let file = BackfillCheckpoints.FileState(path: "/in/a.ndjson", size: 100, modified: 7, fingerprint: "f100")
        let unit = BackfillCheckpoints.Unit(commitIds: ["events": "c1"], ranges: [
            .init(path: "/in/a.ndjson", fromLine: 0, toLine: 10, endsFile: true),
        ], receivedAt: 5)
        try checkpoints.begin(unit)
        try checkpoints.finish(unit, files: ["/in/a.ndjson": file])
        var asked: [Int64] = []
        var touched = file
        touched.modified = 8
        touched.fingerprint = nil
        let kept = try checkpoints.state(of: touched) { length in asked.append(length); return "f100" }
        #expect(kept.complete && kept.committedLines == 10 && kept.modified == 8 && asked == [100])
        var grown = touched
        grown.size = 150
        let continued = try checkpoints.state(of: grown) { _ in "f100" }
        #expect(!continued.complete && continued.committedLines == 10 && continued.size == 150)
        #expect(try checkpoints.state(of: grown) { _ in "other bytes" } == grown)
        var shrunk = touched
        shrunk.size = 50
        #expect(try checkpoints.state(of: shrunk) { _ in "f100" } == shrunk)
    }

    @Test("progress belongs to the first target that claims it; another is refused")
    func target() throws {
        let checkpoints = try BackfillCheckpoints(path: path)
        try checkpoints.claim(target: "warehouse file:///a namespace analytics")
        try BackfillCheckpoints(path: path).claim(target: "warehouse file:///a namespace analytics")
        #expect(throws: BackfillCheckpoints.OtherTarget.self) {
            try BackfillCheckpoints(path: path).claim(target: "warehouse file:///b namespace analytics")
        }
    }
}

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

    /// Finishes one unit that reads `file` from line 0 to `lines` (to its end when `complete`).
    private func load(_ file: BackfillCheckpoints.FileState, lines: Int64, complete: Bool,
                      in checkpoints: BackfillCheckpoints) throws {
        let unit = BackfillCheckpoints.Unit(commitIds: ["events": UUID().uuidString], ranges: [
            .init(path: file.path, fromLine: file.committedLines, toLine: lines, endsFile: complete),
        ], receivedAt: 5)
        try checkpoints.begin(unit)
        try checkpoints.finish(unit, files: [file.path: file])
    }

    @Test("a file under a name the progress does not know is recognised by its bytes: renamed, copied, or grown since")
    func byContent() throws {
        let checkpoints = try BackfillCheckpoints(path: path)
        let log = BackfillCheckpoints.FileState(path: "/in/events.log", size: 9000, modified: 7, fingerprint: "f9000", head: "h")
        try load(log, lines: 90, complete: true, in: checkpoints)
        // Rotated: the same bytes under a new name; asked for its head over its first 4 KiB and its fingerprint over 9000.
        var asked: [Int64] = []
        let rotated = BackfillCheckpoints.FileState(path: "/in/events.log.1", size: 9000, modified: 8)
        let known = try checkpoints.state(of: rotated, head: { asked.append($0); return "h" }) { asked.append($0); return "f9000" }
        #expect(known.complete && known.committedLines == 90 && known.path == "/in/events.log.1" && asked == [4096, 9000])
        // Recorded under the new name too: the next run knows it by a stat alone.
        #expect(try checkpoints.state(of: rotated, head: { _ in Issue.record("read"); return nil }) { _ in nil }.complete)
        // Grown before it was renamed: it continues after the lines loaded under the old name.
        let grown = BackfillCheckpoints.FileState(path: "/in/events.log.2", size: 12000, modified: 9)
        let continued = try checkpoints.state(of: grown, head: { _ in "h" }) { $0 == 9000 ? "f9000" : "other" }
        #expect(!continued.complete && continued.committedLines == 90 && continued.size == 12000 && continued.head == "h")
        // The same start and other bytes later, another start, or shorter than what was loaded: a new file.
        #expect(try checkpoints.state(of: grown, head: { _ in "h" }) { _ in "other" } == grown)
        #expect(try checkpoints.state(of: grown, head: { _ in "h2" }) { _ in "f9000" } == grown)
        let short = BackfillCheckpoints.FileState(path: "/in/events.log.3", size: 8000, modified: 9)
        #expect(try checkpoints.state(of: short, head: { _ in "h" }) { _ in "f9000" } == short)
    }

    @Test("a name whose file was replaced looks its new bytes up by content, and the old bytes stay known by theirs")
    func rotation() throws {
        let checkpoints = try BackfillCheckpoints(path: path)
        let first = BackfillCheckpoints.FileState(path: "/in/events.log", size: 5000, modified: 7, fingerprint: "A", head: "hA")
        try load(first, lines: 50, complete: true, in: checkpoints)
        // Rotation: events.log now holds other bytes; they are new, and loading them does not forget the old ones.
        let replaced = BackfillCheckpoints.FileState(path: "/in/events.log", size: 4500, modified: 9)
        #expect(try checkpoints.state(of: replaced, head: { _ in "hB" }) { _ in "B" } == replaced)
        var loaded = replaced
        loaded.fingerprint = "B"
        loaded.head = "hB"
        try load(loaded, lines: 45, complete: true, in: checkpoints)
        let rotated = BackfillCheckpoints.FileState(path: "/in/events.log.1", size: 5000, modified: 8)
        #expect(try checkpoints.state(of: rotated, head: { _ in "hA" }) { $0 == 5000 ? "A" : nil }.complete)
        // A content that was loaded only in part continues after its committed lines under a new name too.
        let partial = BackfillCheckpoints.FileState(path: "/in/big.log", size: 20000, modified: 7, fingerprint: "P", head: "hP")
        try load(partial, lines: 120, complete: false, in: checkpoints)
        let moved = BackfillCheckpoints.FileState(path: "/in/big.log.1", size: 20000, modified: 7)
        let resumed = try checkpoints.state(of: moved, head: { _ in "hP" }) { _ in "P" }
        #expect(!resumed.complete && resumed.committedLines == 120)
    }

    @Test("a file shorter than the head is recognised under another name only with the same length")
    func shortFiles() throws {
        let checkpoints = try BackfillCheckpoints(path: path)
        let small = BackfillCheckpoints.FileState(path: "/in/a.ndjson", size: 300, modified: 7, fingerprint: "s300", head: "h300")
        try load(small, lines: 3, complete: true, in: checkpoints)
        let copy = BackfillCheckpoints.FileState(path: "/in/b.ndjson", size: 300, modified: 8)
        var asked: [Int64] = []
        #expect(try checkpoints.state(of: copy, head: { asked.append($0); return "h300" }) { _ in "s300" }.complete)
        #expect(asked == [300])
        let grown = BackfillCheckpoints.FileState(path: "/in/c.ndjson", size: 5000, modified: 8)
        #expect(try checkpoints.state(of: grown, head: { _ in "h300" }) { _ in "s300" } == grown)
    }

    @Test("progress recorded before heads were kept gains them, and then its content is known under another name")
    func rememberedHead() throws {
        let checkpoints = try BackfillCheckpoints(path: path)
        let old = BackfillCheckpoints.FileState(path: "/in/a.ndjson", size: 9000, modified: 7, fingerprint: "f")
        try load(old, lines: 90, complete: true, in: checkpoints)
        let moved = BackfillCheckpoints.FileState(path: "/in/b.ndjson", size: 9000, modified: 7)
        #expect(try checkpoints.state(of: moved, head: { _ in "h" }) { _ in "f" } == moved)
        var known = try checkpoints.state(of: old) { _ in nil }
        #expect(known.complete && known.head == nil)
        known.head = "h"
        try checkpoints.remember(known)
        #expect(try checkpoints.state(of: old) { _ in nil }.head == "h")
        #expect(try checkpoints.state(of: moved, head: { _ in "h" }) { _ in "f" }.complete)
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

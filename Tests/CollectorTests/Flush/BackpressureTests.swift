@testable import Collector
import Logging
import Synchronization
import Testing

@Suite("Backpressure")
struct BackpressureTests {
    @Test("requests are refused with 503 and Retry-After only while the due backlog is above the limit")
    func refusesAboveLimit() throws {
        let backlog = FlushBacklog(limit: 1_000)
        backlog.publish(dueEvents: 1_000)
        try backlog.admit()
        backlog.drained(events: 500, seconds: 1)
        backlog.publish(dueEvents: 2_000)
        #expect {
            try backlog.admit()
        } throws: { error in
            guard let error = error as? APIError else { return false }
            // (2,000 - 500) events at 500 events/s: 3 s.
            return error.status.code == 503 && error.retryAfterSeconds == 3 && error.refusal == .backlog
        }
        backlog.publish(dueEvents: 10)
        try backlog.admit()
    }

    @Test("a limit of 0 never refuses")
    func off() throws {
        let backlog = FlushBacklog(limit: 0)
        backlog.publish(dueEvents: 10_000_000)
        try backlog.admit()
    }

    @Test("Retry-After follows the drain rate, between 1 and 30 s, 5 s before any commit")
    func retryAfter() {
        #expect(FlushBacklog.retryAfter(due: 600, limit: 500, drainPerSecond: 0) == 5)
        #expect(FlushBacklog.retryAfter(due: 600, limit: 500, drainPerSecond: 1_000_000) == 1)
        #expect(FlushBacklog.retryAfter(due: 10_000_000, limit: 500, drainPerSecond: 10) == 30)
        #expect(FlushBacklog.retryAfter(due: 3_000, limit: 2_000, drainPerSecond: 1_000) == 2)
    }

    @Test("Retry-After grows with a stall: events due and nothing drained for over 10 s")
    func stalled() throws {
        #expect(FlushBacklog.retryAfter(due: 3_000, limit: 2_000, drainPerSecond: 1_000, undrainedFor: .seconds(10)) == 2)
        #expect(FlushBacklog.retryAfter(due: 3_000, limit: 2_000, drainPerSecond: 1_000, undrainedFor: .seconds(12.5)) == 13)
        #expect(FlushBacklog.retryAfter(due: 3_000, limit: 2_000, drainPerSecond: 0, undrainedFor: .seconds(600)) == 30)

        let backlog = FlushBacklog(limit: 1_000)
        let start = ContinuousClock.now
        func refusal(at offset: Duration) -> Int? {
            do {
                try backlog.admit(at: start + offset)
                return nil
            } catch {
                return error.retryAfterSeconds
            }
        }
        // Idle for a long while, then a burst: not a stall, the clock starts when events become due.
        backlog.drained(events: 100_000, seconds: 1, at: start)
        backlog.publish(dueEvents: 0, at: start + .seconds(1))
        backlog.publish(dueEvents: 2_000, at: start + .seconds(3_600))
        #expect(refusal(at: .seconds(3_601)) == 1)
        // The catalog goes down: no commit drains anything while the backlog stays due.
        backlog.publish(dueEvents: 5_000, at: start + .seconds(3_620))
        #expect(refusal(at: .seconds(3_620)) == 20)
        #expect(refusal(at: .seconds(3_700)) == 30)
        // Commits resume: the measured rate answers again.
        backlog.drained(events: 100_000, seconds: 1, at: start + .seconds(3_701))
        #expect(refusal(at: .seconds(3_702)) == 1)
    }

    @Test("the drain rate is smoothed over commits")
    func drainRate() {
        let backlog = FlushBacklog(limit: 1)
        backlog.drained(events: 1_000, seconds: 1)
        #expect(backlog.drainPerSecond == 1_000)
        backlog.drained(events: 2_000, seconds: 1)
        #expect(backlog.drainPerSecond == 1_300)
        backlog.drained(events: 0, seconds: 1)
        #expect(backlog.drainPerSecond == 1_300)
    }

    @Test("refusals are logged at most once a second, with their count by reason")
    func refusalLog() {
        let lines = RecordedLines()
        let logger = Logger(label: "test") { _ in RecordingHandler(lines: lines) }
        let log = RefusalLog(logger: logger, now: 0)
        log.refused(.backlog, now: 10)
        for step in 1...99 { log.refused(.backlog, now: 10 + Double(step) / 200) }
        log.refused(.partitionFull, now: 10.6)
        log.flushLog(now: 10.9)
        #expect(lines.messages.count == 1)
        log.flushLog(now: 11.0)
        log.flushLog(now: 12.5)
        #expect(lines.messages.count == 2)
        #expect(lines.metadata[0]["floe.refused"] == "1")
        #expect(lines.metadata[1]["floe.refused"] == "100")
        #expect(lines.metadata[1]["floe.reasons"] == "backlog=99,partition_full=1")
    }
}

/// Log lines a test can read back.
final class RecordedLines: Sendable {
    private let state = Mutex<[(String, [String: String])]>([])
    var messages: [String] { state.withLock { $0.map(\.0) } }
    var metadata: [[String: String]] { state.withLock { $0.map(\.1) } }
    func append(_ message: String, _ metadata: [String: String]) { state.withLock { $0.append((message, metadata)) } }
}

struct RecordingHandler: LogHandler {
    let lines: RecordedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.append(event.message.description, (event.metadata ?? [:]).mapValues { "\($0)" })
    }
}

@testable import FloeBench
import NIOCore
import Testing

@Suite("Paced sends")
struct PacingTests {
    private func plan(resolution: TimeAmount?) -> LoadConnection.Plan {
        let start = NIODeadline.uptimeNanoseconds(0)
        return LoadConnection.Plan(started: start, firstSend: start, interval: .milliseconds(1),
                                   timerResolution: resolution, deadline: start + .seconds(1), quota: nil,
                                   eventsPerRequest: 1, keepsTimeline: false)
    }

    @Test("a send due between two ticks wakes at the next tick; one due on a tick wakes on it")
    func roundsUpToTheGrid() {
        let ticks = plan(resolution: .milliseconds(1))
        #expect(ticks.wakeUp(for: .uptimeNanoseconds(5_000_001)) == .uptimeNanoseconds(6_000_000))
        #expect(ticks.wakeUp(for: .uptimeNanoseconds(5_999_999)) == .uptimeNanoseconds(6_000_000))
        #expect(ticks.wakeUp(for: .uptimeNanoseconds(6_000_000)) == .uptimeNanoseconds(6_000_000))
    }

    @Test("without a grid a send wakes at its own time")
    func exact() {
        #expect(plan(resolution: nil).wakeUp(for: .uptimeNanoseconds(5_000_001)) == .uptimeNanoseconds(5_000_001))
        // No overflow at the far end of the clock.
        #expect(plan(resolution: .milliseconds(1)).wakeUp(for: .distantFuture) == .distantFuture)
    }
}

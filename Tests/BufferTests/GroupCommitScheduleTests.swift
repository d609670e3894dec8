@testable import Buffer
import Dispatch
import Testing

@Suite("GroupCommitSchedule")
struct GroupCommitScheduleTests {
    func at(_ milliseconds: Double) -> DispatchTime {
        DispatchTime(uptimeNanoseconds: UInt64(1_000_000_000 + milliseconds * 1_000_000))
    }

    func isNow(_ drain: GroupCommitSchedule<Int>.Drain?) -> Int? {
        if case .now(let generation) = drain { return generation }
        return nil
    }

    func heldUntil(_ drain: GroupCommitSchedule<Int>.Drain?) -> (DispatchTime, Int)? {
        if case .at(let time, let generation) = drain { return (time, generation) }
        return nil
    }

    @Test("without an interval every transaction is scheduled at once; appends meanwhile share it")
    func noInterval() {
        var schedule = GroupCommitSchedule<Int>(interval: nil)
        let generation = isNow(schedule.enqueue(1, now: at(0)))
        #expect(generation != nil)
        #expect(schedule.enqueue(2, now: at(0.1)) == nil)
        #expect(schedule.take(generation: generation ?? -1, now: at(0.2)) == [1, 2])
        #expect(isNow(schedule.enqueue(3, now: at(0.3))) != nil)
    }

    @Test("after a transaction of several appends the next waits out the interval; after one of a single append it does not")
    func holdsBackOnlyAfterSharedTransactions() throws {
        var schedule = GroupCommitSchedule<Int>(interval: .milliseconds(4))
        let first = try #require(isNow(schedule.enqueue(1, now: at(0))))
        #expect(schedule.take(generation: first, now: at(0)) == [1])
        // One client, request after request: never held back.
        let second = try #require(isNow(schedule.enqueue(2, now: at(1))))
        #expect(schedule.enqueue(3, now: at(1.1)) == nil)
        #expect(schedule.take(generation: second, now: at(1.2)) == [2, 3])
        // That transaction answered two: the next starts 4 ms after it.
        let held = try #require(heldUntil(schedule.enqueue(4, now: at(3.5))))
        #expect(held.0 == at(5.2))
        #expect(schedule.take(generation: held.1, now: at(5.2)) == [4])
    }

    /// A 4 ms schedule whose last transaction, started at 0.5 ms, answered three appends.
    func afterSharedTransaction() throws -> GroupCommitSchedule<Int> {
        var schedule = GroupCommitSchedule<Int>(interval: .milliseconds(4))
        let first = try #require(isNow(schedule.enqueue(1, now: at(0))))
        #expect(schedule.enqueue(2, now: at(0.1)) == nil)
        #expect(schedule.enqueue(3, now: at(0.1)) == nil)
        #expect(schedule.take(generation: first, now: at(0.5)) == [1, 2, 3])
        return schedule
    }

    @Test("senders waiting on their answers (as many back as the last transaction answered, within half the interval) are written at once; the held-back drain then does nothing")
    func closedLoopIsNotHeldBack() throws {
        var schedule = try afterSharedTransaction()
        let held = try #require(heldUntil(schedule.enqueue(11, now: at(0.9))))
        #expect(schedule.enqueue(12, now: at(1.0)) == nil)
        let early = try #require(isNow(schedule.enqueue(13, now: at(1.1))))
        #expect(early != held.1)
        #expect(schedule.take(generation: early, now: at(1.2)) == [11, 12, 13])
        #expect(schedule.take(generation: held.1, now: at(4.5)) == nil, "the superseded drain takes nothing")
        #expect(schedule.waiting.isEmpty)
    }

    @Test("independent senders arriving at a steady rate keep the wait: as many take about the whole interval to arrive")
    func openLoopKeepsTheWait() throws {
        var schedule = try afterSharedTransaction()
        let held = try #require(heldUntil(schedule.enqueue(11, now: at(1.5))))
        #expect(schedule.enqueue(12, now: at(2.2)) == nil)
        #expect(schedule.enqueue(13, now: at(3.0)) == nil, "the third arrives after half the interval")
        #expect(schedule.take(generation: held.1, now: at(4.5)) == [11, 12, 13])
    }
}

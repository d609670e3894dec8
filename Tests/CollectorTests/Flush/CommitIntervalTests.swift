@testable import Collector
import Testing

@Suite("Commit interval")
struct CommitIntervalTests {
    private func settings(intervalMs: Int) -> FlushSettings {
        var settings = FlushSettings()
        settings.commitIntervalMs = intervalMs
        return settings
    }

    @Test("a cycle due sooner than the interval after the last one waits for the rest of it")
    func waitsForTheRest() {
        let settings = settings(intervalMs: 1_000)
        #expect(settings.waitBeforeCycle(due: 2_000, sinceLastCycle: .milliseconds(300)) == .milliseconds(700))
        #expect(settings.waitBeforeCycle(due: 49_999, sinceLastCycle: .zero) == .milliseconds(1_000))
    }

    @Test("the first cycle, one after the interval, or one with nothing due runs at once")
    func runsAtOnce() {
        let settings = settings(intervalMs: 1_000)
        #expect(settings.waitBeforeCycle(due: 2_000, sinceLastCycle: nil) == nil)
        #expect(settings.waitBeforeCycle(due: 2_000, sinceLastCycle: .milliseconds(1_000)) == nil)
        #expect(settings.waitBeforeCycle(due: 2_000, sinceLastCycle: .seconds(5)) == nil)
        #expect(settings.waitBeforeCycle(due: 0, sinceLastCycle: .milliseconds(10)) == nil)
    }

    @Test("with more due than a cycle takes the flush is behind and does not wait")
    func behindDoesNotWait() {
        let settings = settings(intervalMs: 1_000)
        #expect(settings.waitBeforeCycle(due: settings.maxRowsPerCycleTotal + 1, sinceLastCycle: .milliseconds(10)) == nil)
        #expect(settings.waitBeforeCycle(due: 400_000, sinceLastCycle: .zero) == nil)
    }

    @Test("an interval of 0 runs cycles back to back")
    func off() {
        #expect(settings(intervalMs: 0).waitBeforeCycle(due: 2_000, sinceLastCycle: .zero) == nil)
    }

    @Test("the default is one cycle a second, from the configuration")
    func defaultFromConfiguration() throws {
        #expect(try FloeConfiguration().flushSettings().commitIntervalMs == 1_000)
        var configuration = FloeConfiguration()
        configuration.commitIntervalMs = 250
        #expect(try configuration.flushSettings().commitIntervalMs == 250)
    }
}

@testable import FloeBench
import Testing

@Suite("CPUUsage")
struct CPUUsageTests {
    @Test("reads utime + stime after the last parenthesis, whatever the command name holds")
    func processTicks() {
        // Fields 14 and 15 are 7 and 5; the name holds a space and a ')'.
        let line = "4242 (floe (a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 12 0 5000 1000000 300\n"
        #expect(CPUUsage.Sample.processTicks(statLine: line) == 12)
        #expect(CPUUsage.Sample.processTicks(statLine: "4242 (floe) S 1 2") == nil)
        #expect(CPUUsage.Sample.processTicks(statLine: "no parenthesis") == nil)
    }

    @Test("reads all, idle + iowait and steal jiffies from the cpu line, guest time not counted twice")
    func machineJiffies() throws {
        let text = "cpu  100 10 50 800 20 5 5 10 7 0\ncpu0 50 5 25 400 10 2 3 5 3 0\nintr 1\n"
        let jiffies = try #require(CPUUsage.Sample.machineJiffies(statText: text))
        #expect(jiffies.total == 1_000 && jiffies.idle == 820 && jiffies.steal == 10)
        #expect(CPUUsage.Sample.machineJiffies(statText: "cpu0 1 2 3\n") == nil)
    }

    @Test("turns two samples into cores and shares of the machine")
    func usage() throws {
        let start = CPUUsage.Sample(serverSeconds: 10, generatorSeconds: 4, machineTotal: 1_000, machineIdle: 500,
                                    machineSteal: 0)
        var end = start
        end.serverSeconds = 13
        end.generatorSeconds = 5
        end.machineTotal = 1_400
        end.machineIdle = 580
        end.machineSteal = 20
        let usage = CPUUsage(from: start, to: end, seconds: 2)
        #expect(usage.serverCores == 1.5 && usage.generatorCores == 0.5 && usage.serverSeconds == 3)
        #expect(usage.machineBusy == 0.75 && usage.machineSteal == 0.05)
        let perRequest = try #require(usage.serverMicroseconds(perRequest: 30_000))
        #expect(abs(perRequest - 100) < 1e-9)
        #expect(usage.serverMicroseconds(perRequest: 0) == nil)
    }
}

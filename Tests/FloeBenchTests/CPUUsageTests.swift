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

@Suite("CPUTimeline")
struct CPUTimelineTests {
    @Test("reads a thread's name between the first '(' and the last ')'")
    func commandName() {
        #expect(CPUUsage.Sample.commandName(statLine: "7 (NIO-ELT-0-#1) S 1 2") == "NIO-ELT-0-#1")
        #expect(CPUUsage.Sample.commandName(statLine: "7 (a (b)) S 1") == "a (b)")
        #expect(CPUUsage.Sample.commandName(statLine: "7 a) S (1") == nil)
    }

    @Test("joins each interval's CPU with the requests sent in it; the last interval takes the rest")
    func lines() {
        func sample(server: Double, machine: Double, idle: Double, loop: Double) -> CPUUsage.Sample {
            CPUUsage.Sample(serverSeconds: server, generatorSeconds: server / 2, machineTotal: machine, machineIdle: idle,
                            machineSteal: 0, serverThreads: ["NIO-ELT-0-#1": loop, "writer": 0.01])
        }
        var timeline = CPUTimeline()
        timeline.points = [
            .init(seconds: 0, sample: sample(server: 0, machine: 0, idle: 0, loop: 0)),
            .init(seconds: 10, sample: sample(server: 5, machine: 2_000, idle: 1_000, loop: 4)),
            .init(seconds: 20, sample: sample(server: 6, machine: 4_000, idle: 2_500, loop: 4.5)),
        ]
        // 4 requests in the first 10 s, 2 after (one sent after the last sample still counts in the last interval).
        let requests = [1, 2, 3, 9, 12, 25].enumerated().map { index, second in
            TimelineEntry(sentMicros: Int64(second) * 1_000_000, latencyMicros: Int64(index + 1) * 1_000, status: 200)
        }
        let lines = CPUTimeline().lines(requests: requests)
        #expect(lines.count == 1 && lines[0].hasPrefix("from_s\tto_s\trequests_per_s"))
        let rows = timeline.lines(requests: requests).dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.count == 2)
        // 4 requests / 10 s; 5 server seconds / 4 requests = 1,250,000 µs; half the machine busy; p50 of 1,2,3,4 ms is 3.
        #expect(rows[0][0...10] == ["0.0", "10.0", "0", "1250000.0", "0.500", "0.250", "50.0", "0.0", "3.0", "4.0", "4.0"])
        // Per thread name, 0.05 cores and up: the event loop at 0.4; the writer's 0.001 is left out.
        #expect(rows[0][11] == "NIO-ELT-0-#1:0.40")
        #expect(rows[1][2] == "0" && rows[1][3] == "500000.0" && rows[1][6] == "25.0" && rows[1][10] == "6.0")
        #expect(rows[1][11] == "NIO-ELT-0-#1:0.05")

        // A sample taken after the last send (the load waited for its last answers) starts no interval of its own.
        timeline.points.insert(.init(seconds: 18, sample: sample(server: 5.5, machine: 3_000, idle: 1_750, loop: 4.2)), at: 2)
        let merged = timeline.lines(requests: Array(requests.prefix(5))).dropFirst()
        #expect(merged.map { $0.split(separator: "\t")[0...2].joined(separator: " ") } == ["0.0 10.0 0", "10.0 20.0 0"])
    }
}

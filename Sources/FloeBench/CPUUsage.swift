import Foundation

/// CPU time of the server, of the load generator and of the whole machine over a run of
/// `floe bench ingest`, from Linux's `/proc` counters: what a request cost, and whether the two
/// cores were full (the VM's speed moves within the hour, so the same load can cost more).
struct CPUUsage: Sendable {
    /// Cumulative counters at one instant.
    struct Sample: Sendable {
        /// User + system seconds of the server process.
        var serverSeconds: Double
        /// User + system seconds of this process (the load generator).
        var generatorSeconds: Double
        /// Jiffies of the machine: all, idle (with I/O wait) and stolen by the hypervisor.
        var machineTotal: Double
        var machineIdle: Double
        var machineSteal: Double
        /// User + system seconds of the server's threads, summed per thread name (only when asked for).
        var serverThreads: [String: Double] = [:]

        private static func processSeconds(statPath: String) -> Double? {
            guard let text = try? String(contentsOfFile: statPath, encoding: .utf8),
                  let ticks = processTicks(statLine: text) else { return nil }
            return Double(ticks) / ticksPerSecond
        }

        private static var ticksPerSecond: Double { Double(max(1, sysconf(Int32(_SC_CLK_TCK)))) }

        /// User + system seconds of each thread of `pid` (`/proc/{pid}/task/*/stat`), summed per thread name.
        private static func threadSeconds(pid: Int32) -> [String: Double] {
            let directory = "/proc/\(pid)/task"
            guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [:] }
            var seconds: [String: Double] = [:]
            for task in tasks {
                guard let text = try? String(contentsOfFile: "\(directory)/\(task)/stat", encoding: .utf8),
                      let name = commandName(statLine: text), let ticks = processTicks(statLine: text) else { continue }
                seconds[name, default: 0] += Double(ticks) / ticksPerSecond
            }
            return seconds
        }

        /// The command name (field 2) of a `/proc/.../stat` line: between the first `(` and the last `)`.
        static func commandName(statLine: String) -> String? {
            guard let open = statLine.firstIndex(of: "("), let close = statLine.lastIndex(of: ")"), open < close else {
                return nil
            }
            return String(statLine[statLine.index(after: open)..<close])
        }

        /// `utime + stime` (fields 14 and 15) of a `/proc/{pid}/stat` line. The command name (field 2)
        /// is in parentheses and may itself hold spaces and parentheses, so fields count from the last `)`.
        static func processTicks(statLine: String) -> Int? {
            guard let close = statLine.lastIndex(of: ")") else { return nil }
            // After ")": field 3 (state) is the first.
            let fields = statLine[statLine.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
            return user + system
        }

        /// All, idle (idle + iowait) and steal jiffies from the `cpu` line of `/proc/stat`.
        static func machineJiffies(statText: String) -> (total: Double, idle: Double, steal: Double)? {
            guard let line = statText.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
            // user nice system idle iowait irq softirq steal [guest guest_nice, already in user and nice]
            let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            guard values.count >= 8 else { return nil }
            return (values[0..<8].reduce(0, +), values[3] + values[4], values[7])
        }
    }

    /// Wall-clock seconds between the two samples.
    var seconds: Double
    /// CPU seconds the server and the generator used between them.
    var serverSeconds: Double
    var generatorSeconds: Double
    /// Share of the machine's CPU time that was busy (not idle, not stolen), 0...1.
    var machineBusy: Double
    /// Share taken by the hypervisor for other guests, 0...1.
    var machineSteal: Double
    /// Cores each of the server's thread names used (empty unless both samples read the threads).
    var serverCoresByThread: [String: Double]

    var serverCores: Double { serverSeconds / seconds }
    var generatorCores: Double { generatorSeconds / seconds }

    /// The server's CPU microseconds per request over `requests` requests (nil without any).
    func serverMicroseconds(perRequest requests: Int) -> Double? {
        requests > 0 ? serverSeconds / Double(requests) * 1e6 : nil
    }

    /// The usage between two samples taken `seconds` apart.
    init(from start: Sample, to end: Sample, seconds: Double) {
        self.seconds = max(seconds, 1e-9)
        serverSeconds = end.serverSeconds - start.serverSeconds
        generatorSeconds = end.generatorSeconds - start.generatorSeconds
        let total = max(end.machineTotal - start.machineTotal, 1)
        let idle = end.machineIdle - start.machineIdle
        let steal = end.machineSteal - start.machineSteal
        machineBusy = (total - idle - steal) / total
        machineSteal = steal / total
        let seconds = self.seconds
        serverCoresByThread = end.serverThreads.reduce(into: [:]) { cores, thread in
            // A thread that exited in between takes its time with it: never below 0.
            cores[thread.key] = max(0, thread.value - (start.serverThreads[thread.key] ?? 0)) / seconds
        }
    }
}

extension CPUUsage.Sample {
    /// Nil where `/proc` cannot be read (not Linux, or the server is gone). `perThread` also reads the
    /// server's threads (a file each), for ``CPUTimeline``.
    init?(server pid: Int32, perThread: Bool = false) {
        guard let server = Self.processSeconds(statPath: "/proc/\(pid)/stat"),
              let generator = Self.processSeconds(statPath: "/proc/self/stat"),
              let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let machine = Self.machineJiffies(statText: stat) else { return nil }
        serverSeconds = server
        generatorSeconds = generator
        (machineTotal, machineIdle, machineSteal) = machine
        if perThread { serverThreads = Self.threadSeconds(pid: pid) }
    }
}

import ArgumentParser
import Collector
import FloeBench
import Foundation

extension Floe {
    /// `floe bench ingest`: HTTP ingest rate and latency of a fresh `floe serve`.
    struct BenchIngest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Start floe serve on a temp dir and drive it with concurrent /v1/batch, /v1/track or /health requests.")

        @Option(help: "NDJSON corpus of Segment messages (gen_events.py output).") var input: String
        @Option(help: "Events per /v1/batch request; 0 sends single /v1/track messages.") var batch = 100
        @Option(help: "Concurrent connections.") var connections = 16
        @Option(help: "Duration in seconds.") var seconds = 10.0
        @Flag(help: "Drive GET /health instead (the HTTP ceiling).") var health = false
        @Option(help: "fsync or os.") var durability = "fsync"
        @Option(help: "Requests per second over all connections, paced; latency counts from each scheduled send.")
        var rate: Double?
        @Option(name: .customLong("timer-us"),
                help: "Paced sends wake on a grid of this many microseconds (1000: wrk2's millisecond timers; latency still counts from each exact scheduled time); 0 wakes each at its own time.")
        var timerMicros = 0
        @Option(help: "Stop after this many events (instead of --seconds).") var events: Int?
        @Flag(help: "Never flush during the run, so the server's RSS is measured with every event buffered.")
        var noFlush = false
        @Option(help: "Write each request's send time, latency and status here (TSV), to line stalls up with the server log.")
        var timeline: String?
        @Option(help: "Write, per --cpu-interval of the run, the requests sent, their p50/p99/max latency and the CPU of the server (per thread name), the generator and the machine (busy, steal) here (TSV, from /proc).")
        var cpuTimeline: String?
        @Option(help: "Seconds between the samples of --cpu-timeline.") var cpuInterval = 10.0
        @Option(help: "Keep the server's log here, at info level (each flush cycle's read, write and commit times).")
        var serverLog: String?
        @Option(name: .customLong("set"),
                help: "Give the server this setting as NAME=VALUE (an environment variable such as FLOE_GROUP_COMMIT_US=1000); repeatable, listed in the result's settings.")
        var settings: [String] = []

        func run() async throws {
            let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
            var options = IngestBench.Options(input: input, executable: executable)
            options.batch = batch
            options.connections = connections
            options.seconds = seconds
            options.health = health
            options.durability = durability
            options.rate = rate
            guard timerMicros >= 0 else { throw ValidationError("--timer-us takes 0 or more microseconds, got \(timerMicros)") }
            options.timerResolutionMicros = timerMicros
            options.events = events
            options.noFlush = noFlush
            options.timeline = timeline
            options.serverLog = serverLog
            guard (0.1...86_400).contains(cpuInterval) else {
                throw ValidationError("--cpu-interval takes 0.1 to 86400 seconds, got \(cpuInterval)")
            }
            options.cpuTimeline = cpuTimeline
            options.cpuInterval = .milliseconds(Int64((cpuInterval * 1000).rounded()))
            for setting in settings {
                guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                    throw ValidationError("--set takes NAME=VALUE, got \(setting)")
                }
                options.settings[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
            }
            print(try await IngestBench.run(options))
        }
    }
}

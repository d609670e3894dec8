import Foundation
import NIOCore

/// `floe bench ingest --cpu-timeline`: the CPU of the server (per thread name), of the load generator and of
/// the machine, sampled every few seconds of a run from `/proc`, joined with the requests sent in each interval.
///
/// A run's totals (``CPUUsage``) say what a request cost on average. This says whether it cost more at some
/// minutes than at others, and whether the run's slowest requests fell where the machine was full or the
/// hypervisor took its time (Benchmarks/README.md, sessions 31 and 32).
struct CPUTimeline: Sendable {
    /// One sample, `seconds` after the run started.
    struct Point: Sendable {
        var seconds: Double
        var sample: CPUUsage.Sample
    }

    var points: [Point] = []

    /// Samples the server and the machine now and then every `interval` until the task is cancelled, then
    /// once more, so the last interval ends when the load stopped.
    static func record(server: Int32, started: NIODeadline, every interval: Duration) async -> CPUTimeline {
        var timeline = CPUTimeline()
        func take() {
            guard let sample = CPUUsage.Sample(server: server, perThread: true) else { return }
            timeline.points.append(Point(seconds: Double((NIODeadline.now() - started).nanoseconds) / 1e9, sample: sample))
        }
        take()
        while true {
            do { try await Task.sleep(for: interval) } catch { break }
            take()
        }
        // The load stopped: the last interval ends now, taking in a sliver of one that just began.
        if timeline.points.count > 1, let last = timeline.points.last,
           Double((NIODeadline.now() - started).nanoseconds) / 1e9 - last.seconds < interval / .seconds(1) / 10 {
            timeline.points.removeLast()
        }
        take()
        return timeline
    }

    /// One line per interval between two samples: the requests sent in it (by send time, the scheduled one
    /// when paced), their latency, and the CPU each party used.
    func lines(requests: [TimelineEntry]) -> [String] {
        var lines = ["from_s\tto_s\trequests_per_s\tserver_us_per_request\tserver_cores\tgenerator_cores"
            + "\tmachine_busy_pct\tsteal_pct\tp50_ms\tp99_ms\tmax_ms\tserver_cores_by_thread"]
        let sent = requests.sorted { $0.sentMicros < $1.sentMicros }
        // The load ends when the last answer arrives, after the last send: an interval that starts after the last
        // send holds no request, and is merged into the one before it.
        var points = self.points
        if let lastSend = sent.last.map({ Double($0.sentMicros) / 1e6 }) {
            while points.count > 2, points[points.count - 2].seconds > lastSend { points.remove(at: points.count - 2) }
        }
        var next = 0
        for (start, end) in zip(points, points.dropFirst()) where end.seconds > start.seconds {
            let usage = CPUUsage(from: start.sample, to: end.sample, seconds: end.seconds - start.seconds)
            var latencies: [Int64] = []
            // Requests sent before the first sample count in the first interval, those after the last in the last.
            let last = end.seconds == points.last?.seconds
            while next < sent.count, last || Double(sent[next].sentMicros) / 1e6 < end.seconds {
                latencies.append(sent[next].latencyMicros)
                next += 1
            }
            latencies.sort()
            func ms(_ quantile: Double) -> String {
                guard !latencies.isEmpty else { return "-" }
                let index = min(latencies.count - 1, Int(Double(latencies.count) * quantile))
                return String(format: "%.1f", Double(latencies[index]) / 1000)
            }
            let perRequest = usage.serverMicroseconds(perRequest: latencies.count).map { String(format: "%.1f", $0) } ?? "-"
            let threads = usage.serverCoresByThread.filter { $0.value >= 0.05 }.sorted { $0.key < $1.key }
                .map { "\($0.key):" + String(format: "%.2f", $0.value) }.joined(separator: " ")
            lines.append([String(format: "%.1f", start.seconds), String(format: "%.1f", end.seconds),
                          String(format: "%.0f", Double(latencies.count) / usage.seconds), perRequest,
                          String(format: "%.3f", usage.serverCores), String(format: "%.3f", usage.generatorCores),
                          String(format: "%.1f", usage.machineBusy * 100), String(format: "%.1f", usage.machineSteal * 100),
                          ms(0.5), ms(0.99), ms(1), threads].joined(separator: "\t"))
        }
        return lines
    }

    /// Writes ``lines(requests:)`` as TSV after a comment line with the run's start in Unix milliseconds.
    func write(requests: [TimelineEntry], startedAt: Date, to path: String) throws {
        try TimelineEntry.writeTSV(lines(requests: requests), startedAt: startedAt, to: path)
    }
}

import Collector
import Buffer
import Foundation
import Iceberg
import Logging

/// `floe bench flush`: buffer → Parquet → local FileIO → embedded SQL catalog, as the server flushes.
///
/// The corpus is normalized and appended to a fresh buffer first (not timed). Then flush cycles
/// run until the buffer is empty, exactly as `floe serve` runs them with `buffer.size` = `batch`:
/// files of at most `batch` rows per partition (fsynced before the commit), each cycle taking
/// what the server's defaults let one cycle take (``FlushSettings/maxRowsPerCycleTotal``) and
/// committing one snapshot per table. Timed from the first flush to the last commit.
public enum FlushBench {
    public static func run(input: String, format: String, batch: Int, warehouse: String?, codec: String,
                           logger: Logger) async throws -> String {
        guard let format = LineNormalizer.Format(rawValue: format) else {
            throw ConfigurationError(message: "format must be segment or cloudevents")
        }
        let corpus = try BenchCorpus(path: input, format: format)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var configuration = FloeConfiguration()
        configuration.dataDirectory = directory.path
        configuration.warehouse = warehouse
        configuration.bufferSize = batch
        configuration.codec = codec
        configuration.maxPartitionEvents = max(corpus.events.count, batch)
        configuration.maxBufferedBytes = Int.max / 2
        var quiet = logger
        quiet.logLevel = .warning
        let components = try FloeServer(configuration: configuration, logger: quiet)
            .makeComponents()
        var start = 0
        while start < corpus.events.count {
            let end = min(start + 5_000, corpus.events.count)
            try await components.buffer.append(corpus.events.events(start..<end))
            start = end
        }

        // Create the table (first use) before timing: that is set-up, not flushing.
        _ = try await components.coordinator.location(of: corpus.table)
        let clock = ContinuousClock()
        let began = clock.now
        var commitMillis: [Double] = []
        var files = 0
        var events = 0
        while !components.buffer.stats().isEmpty {
            let report = try await components.coordinator.flush(.all)
            for table in report.tables {
                commitMillis.append(table.commitMillis)
                files += table.files.count
                events += table.rows
            }
        }
        let elapsed = clock.now - began
        let seconds = elapsed.inSeconds
        commitMillis.sort()
        func percentile(_ p: Double) -> Double {
            guard !commitMillis.isEmpty else { return 0 }
            return commitMillis[min(commitMillis.count - 1, Int((Double(commitMillis.count - 1) * p).rounded()))]
        }
        return "{\"events\":\(events),\"files\":\(files),\"commits\":\(commitMillis.count),\"seconds\":\(seconds),"
            + "\"events_per_s\":\(Int(Double(events) / seconds)),\"commit_ms_p50\":\(percentile(0.5)),"
            + "\"commit_ms_p90\":\(percentile(0.9)),\"commit_ms_max\":\(commitMillis.last ?? 0)}"
    }
}

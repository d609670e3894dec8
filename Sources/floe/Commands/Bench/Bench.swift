import ArgumentParser

extension Floe {
    /// `floe bench ...`: measure Floe's own hot paths; each prints one JSON line.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks: Parquet encoding and flush throughput (one JSON line each).",
            subcommands: [BenchParquet.self, BenchFlush.self, BenchIngest.self, BenchGunzip.self])
    }
}

import ArgumentParser
import Collector
import FloeBench

extension Floe {
    /// `floe bench parquet`: rows in memory → Parquet bytes (docs/design.md §11).
    struct BenchParquet: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "parquet",
                                                        abstract: "Time the Parquet writer on a corpus already in memory.")

        @Option(help: "NDJSON corpus (gen_events.py output).") var input: String
        @Option(help: "segment or cloudevents.") var format = "segment"
        @Option(help: "zstd, snappy, gzip or none.") var codec = "zstd"
        @Option(help: "ZSTD level.") var level: Int32 = 1
        @Option(help: "Repeats; the best time is reported.") var `repeat` = 3
        @Option(help: "Write the encoded file here.") var output: String?

        func run() throws {
            print(try ParquetBench.run(input: input, format: format, codec: codec, level: level, repeats: `repeat`,
                                       output: output))
        }
    }
}

import ArgumentParser
import Collector
import FloeBench
import Logging

extension Floe {
    /// `floe bench flush`: buffer → Parquet → commit on the embedded catalog (docs/design.md §11).
    struct BenchFlush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "flush",
                                                        abstract: "Time flushing a buffered corpus into Iceberg.")

        @Option(help: "NDJSON corpus (gen_events.py output).") var input: String
        @Option(help: "segment or cloudevents.") var format = "segment"
        @Option(help: "Events per partition per flush (buffer_size).") var batch = 2000
        @Option(help: "Warehouse directory (default: a temp dir).") var warehouse: String?
        @Option(help: "zstd, snappy, gzip or none.") var codec = "zstd"

        func run() async throws {
            print(try await FlushBench.run(input: input, format: format, batch: batch, warehouse: warehouse,
                                           codec: codec, logger: Logger(label: "floe")))
        }
    }
}

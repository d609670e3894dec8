import ArgumentParser

/// The `floe` command: an HTTP event collector that lands events in Iceberg tables.
@main
struct Floe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floe",
        abstract: "Collect analytics events over HTTP and land them as Apache Iceberg tables of Parquet files.",
        version: "0.1.0",
        subcommands: [Serve.self, Backfill.self, Flush.self, Maintain.self, Bench.self],
        defaultSubcommand: Serve.self)
}

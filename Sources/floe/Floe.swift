import ArgumentParser
import Collector

/// The `floe` command: an HTTP event collector that lands events in Iceberg tables.
@main
struct Floe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floe",
        abstract: "Collect analytics events over HTTP and land them as Apache Iceberg tables of Parquet files.",
        version: "0.1.0",
        subcommands: [Serve.self, Backfill.self, Flush.self, Maintain.self, Settings.self, Bench.self],
        defaultSubcommand: Serve.self)

    /// Parses the arguments without the settings flags (`--port`, `--data-dir`, ...), which
    /// ``GlobalOptions`` reads through the settings table.
    static func main() async {
        await main(FloeConfiguration.argumentsWithoutSettingFlags(Array(CommandLine.arguments.dropFirst())))
    }
}

import ArgumentParser
import Collector

extension Floe {
    /// `floe serve`: run the collector until SIGTERM/SIGINT, then flush and exit.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the HTTP collector (default: ./floe-data, 127.0.0.1:8080).")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let configuration = try options.configuration()
            try await FloeServer(configuration: configuration, logger: options.logger(configuration)).run()
        }
    }
}

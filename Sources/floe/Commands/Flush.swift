import ArgumentParser
import Collector

extension Floe {
    /// `floe flush`: commit everything in a stopped server's buffer.
    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Flush everything buffered in the data directory (stop its server first: a running one holds the buffer's lock).",
            discussion: FloeConfiguration.settingFlagsHelp)

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let configuration = try options.configuration()
            let rows = try await FloeServer(configuration: configuration, logger: options.logger(configuration))
                .flushOffline()
            print("{\"success\":true,\"rows\":\(rows)}")
        }
    }
}

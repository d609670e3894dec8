import ArgumentParser
import Foundation
import Collector
#if canImport(CMalloc)
import CMalloc
#endif

extension Floe {
    /// `floe serve`: run the collector until SIGTERM/SIGINT, then flush and exit.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the HTTP collector (default: ./floe-data, 127.0.0.1:8080).",
            discussion: FloeConfiguration.settingFlagsHelp)

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            #if canImport(CMalloc)
            // glibc gives threads their own malloc arenas (up to 8 per core), and memory freed in one is not
            // reused by another: a flush's transient buffers then show as RSS peaks. Two arenas suffice here; an operator's
            // MALLOC_ARENA_MAX (which glibc has already read) is left in force.
            if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil {
                _ = mallopt(M_ARENA_MAX, 2)
            }
            #endif
            let configuration = try options.configuration()
            try await FloeServer(configuration: configuration, logger: options.logger(configuration)).run()
        }
    }
}

import ArgumentParser
import FloeBench

extension Floe {
    /// `floe bench gunzip`: Floe's gzip decoder (backfill's `.gz` input) against zlib's.
    struct BenchGunzip: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gunzip",
                                                        abstract: "Time decoding a gzip file in memory, Floe against zlib.")

        @Option(help: "A gzip file.") var input: String
        @Option(help: "Repeats; the best time of each is reported.") var `repeat` = 5

        func run() throws {
            print(try GunzipBench.run(input: input, repeats: `repeat`))
        }
    }
}

import ArgumentParser
import Collector

extension Floe {
    /// `floe settings`: every setting with its file key, environment variables, flag and default.
    struct Settings: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every setting: config-file key, environment variables, flag, default (Markdown).")

        func run() {
            print(FloeConfiguration.settingsMarkdown)
        }
    }
}

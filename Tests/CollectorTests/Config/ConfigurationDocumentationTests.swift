@testable import Collector
import Foundation
import Testing

/// Every entry of the settings table is documented where users look: the README's configuration
/// table and `Config/floe.example.jsonc`, and the example file loads as it is.
struct ConfigurationDocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func everySettingHasAReadmeRow() throws {
        let readme = try Self.text("README.md")
        let missing = FloeConfiguration.settingsMarkdown.split(separator: "\n").filter { !readme.contains($0) }
        #expect(missing.isEmpty, "README.md lacks (or has a different) row; `floe settings` prints the table:\n\(missing.joined(separator: "\n"))")
    }

    @Test func everySettingIsInTheExampleFile() throws {
        let example = try Self.text("Config/floe.example.jsonc")
        for setting in FloeConfiguration.settings {
            let leaf = setting.key.split(separator: ".").last.map(String.init) ?? setting.key
            #expect(example.contains("\"\(leaf)\""), "Config/floe.example.jsonc lacks \(setting.key)")
            for name in setting.environment {
                #expect(example.contains(name), "Config/floe.example.jsonc does not name \(name) for \(setting.key)")
            }
        }
    }

    @Test func theExampleFileLoadsAndShowsTheDefaults() throws {
        var configuration = FloeConfiguration()
        try configuration.apply(file: Self.root.appendingPathComponent("Config/floe.example.jsonc").path)
        try configuration.validate()
        let defaults = FloeConfiguration()
        for setting in FloeConfiguration.settings {
            #expect(setting.describe(configuration) == setting.describe(defaults),
                    "Config/floe.example.jsonc sets \(setting.key) to \(setting.describe(configuration)), not its default")
        }
    }

    @Test func theR2ExampleLoads() throws {
        var configuration = FloeConfiguration()
        try configuration.apply(file: Self.root.appendingPathComponent("Config/floe.r2.example.jsonc").path)
        try configuration.validate()
        #expect(configuration.catalogURI?.hasPrefix("https://catalog.cloudflarestorage.com/") == true)
        #expect(configuration.authEnabled && configuration.authKeys.count == 1)
    }

    @Test func everySettingCanBeGivenInTheFileAndTheEnvironment() {
        for setting in FloeConfiguration.settings {
            #expect(!setting.environment.isEmpty, "\(setting.key) has no environment variable")
            #expect(!setting.key.isEmpty)
        }
        let keys = FloeConfiguration.settings.map(\.key)
        #expect(Set(keys).count == keys.count, "a key is in the settings table twice")
        let names = FloeConfiguration.settings.flatMap(\.environment)
        #expect(Set(names).count == names.count, "an environment variable is in the settings table twice")
    }
}

import ArgumentParser
import Collector
import Foundation
import Logging

/// Options every command that runs Floe shares: the config file, and the settings flags of the
/// settings table (taken out of the arguments before parsing, see Floe.swift), which win over
/// environment variables, which win over the config file.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Config file (JSON with // and /* */ comments). Env: FLOE_CONFIG.")
    var config: String?

    /// Defaults, then the config file, then the environment, then these flags.
    func configuration() throws -> FloeConfiguration {
        let environment = ProcessInfo.processInfo.environment
        var configuration = FloeConfiguration()
        if let path = config ?? environment["FLOE_CONFIG"], !path.isEmpty {
            try configuration.apply(file: path)
        }
        try configuration.apply(environment: environment)
        try configuration.apply(flags: Array(CommandLine.arguments.dropFirst()))
        try configuration.validate()
        return configuration
    }

    func logger(_ configuration: FloeConfiguration) -> Logger {
        if configuration.logFormat.lowercased() == "json" {
            LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
        var logger = Logger(label: "floe")
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel.lowercased()) ?? .info
        logger[metadataKey: "floe.instance"] = .string(configuration.resolvedInstanceId)
        return logger
    }
}

import ArgumentParser
import Collector
import Foundation
import Logging

/// Flags every command shares; they win over environment variables, which win over the config file.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Config file (JSON with // comments). Env: FLOE_CONFIG.")
    var config: String?

    @Option(help: "Listen host (default 127.0.0.1). Env: FLOE_HOST.")
    var host: String?

    @Option(help: "Listen port (default 8080). Env: FLOE_PORT.")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Data directory (default ./floe-data). Env: FLOE_DATA_DIR.")
    var dataDir: String?

    @Option(help: "Warehouse for the embedded catalog: a path or file:// URI (default {data-dir}/warehouse). Env: FLOE_WAREHOUSE.")
    var warehouse: String?

    @Option(name: .customLong("instance-id"), help: "This instance's name in snapshot summaries, logs and metrics (default {host}-{data-dir hash}). Env: FLOE_INSTANCE_ID.")
    var instanceId: String?

    /// Defaults, then the config file, then the environment, then these flags.
    func configuration() throws -> FloeConfiguration {
        let environment = ProcessInfo.processInfo.environment
        var configuration = FloeConfiguration()
        if let path = config ?? environment["FLOE_CONFIG"], !path.isEmpty {
            try configuration.apply(file: path)
        }
        try configuration.apply(environment: environment)
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let dataDir { configuration.dataDirectory = dataDir }
        if let warehouse { configuration.warehouse = warehouse }
        if let instanceId { configuration.instanceId = instanceId }
        try configuration.validate()
        return configuration
    }

    func logger(_ configuration: FloeConfiguration) -> Logger {
        if configuration.logFormat == "json" {
            LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
        var logger = Logger(label: "floe")
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        logger[metadataKey: "floe.instance"] = .string(configuration.resolvedInstanceId)
        return logger
    }
}

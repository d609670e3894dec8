import Foundation
import Iceberg

/// Reading settings from a config file (JSON with `//` and `/* */` comments, ``JSONComments``), the environment and flags, all
/// through the settings table (FloeConfiguration+Settings.swift).
extension FloeConfiguration {
    /// Applies a config file: keys as in `Config/floe.example.jsonc`; an unknown key is an error.
    public mutating func apply(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(message: "cannot read config file \(path)")
        }
        let root: JSONValue
        do {
            let json = try JSONComments.strip(Array(data))
            root = try JSONDecoder().decode(JSONValue.self, from: Data(json))
            if let repeated = Self.repeatedKey(in: json) {
                throw ConfigurationError(message: "config file \(path): '\(repeated)' is set twice")
            }
        } catch let error as ConfigurationError {
            throw error
        } catch let error as JSONComments.Unterminated {
            throw ConfigurationError(message: "config file \(path): \(error)")
        } catch {
            throw ConfigurationError(message: "config file \(path) is not valid JSON: \(error)")
        }
        guard case .object = root else { throw ConfigurationError(message: "config file \(path) must hold a JSON object") }
        for (key, value) in root.leaves() {
            guard let setting = Self.settings.first(where: { $0.key == key }) else {
                throw ConfigurationError(message: "config file \(path): unknown setting '\(key)' (see Config/floe.example.jsonc)")
            }
            try setting.assign(&self, .json(value, source: "config file \(path), \(key)"))
        }
    }

    /// The dotted path of the first key an object of `json` holds twice (a JSON decoder keeps one of them quietly).
    static func repeatedKey(in json: [UInt8]) -> String? {
        guard let tape = try? JSONTape(parsing: json) else { return nil }
        func search(_ entry: Int, path: String) -> String? {
            switch tape.kind(entry) {
            case .object:
                var seen = Set<String>()
                for (key, value) in tape.members(of: entry) {
                    let name = tape.string(key)
                    let dotted = path.isEmpty ? name : path + "." + name
                    if !seen.insert(name).inserted { return dotted }
                    if let found = search(value, path: dotted) { return found }
                }
            case .array:
                for element in tape.elements(of: entry) {
                    if let found = search(element, path: path) { return found }
                }
            default: break
            }
            return nil
        }
        return search(tape.root, path: "")
    }

    /// Applies the variables of the settings table (`FLOE_*` and the seed's `ICEBERG_*`, `R2_*`,
    /// `AUTH_*`, `ALLOWED_ORIGINS`, `AWS_*`); an empty variable counts as unset. Two variables of one
    /// setting that are both set must say the same, except for lists the environment adds to (every
    /// variable of theirs that is set counts) and variables in precedence order (the first set wins).
    public mutating func apply(environment: [String: String]) throws {
        for setting in Self.settings {
            let set = setting.environment.filter { !(environment[$0] ?? "").isEmpty }
            // `AUTH_ENABLED=false` beside `FLOE_AUTH_ENABLED=true` must not turn auth off quietly. The values
            // are not repeated in the message: they may be tokens.
            if !setting.appendsFromEnvironment, !setting.variablesInPrecedence, let first = set.first,
               let other = set.dropFirst().first(where: { environment[$0] != environment[first] }) {
                throw ConfigurationError(message: "\(first) and \(other) both set \(setting.key), to different values; "
                                         + "set one of them")
            }
            // A list the environment adds to takes every variable set; other settings the first.
            for name in setting.appendsFromEnvironment ? set : Array(set.prefix(1)) {
                try setting.assign(&self, .text(environment[name] ?? "", source: name, isEnvironment: true))
            }
        }
    }

    /// Applies the settings flags found in `arguments` (`--port 9000` or `--port=9000`).
    public mutating func apply(flags arguments: [String]) throws {
        let flags = Self.settingFlags(in: arguments)
        if let flag = flags.valueless.first { throw ConfigurationError(message: "\(flag) needs a value") }
        for (setting, value) in flags.found {
            try setting.assign(&self, .text(value, source: "--" + (setting.flag ?? setting.key), isEnvironment: false))
        }
    }

    /// The settings flags in `arguments`, and the arguments without them (for the command parser).
    static func settingFlags(in arguments: [String]) -> (found: [(Setting, String)], remaining: [String], valueless: [String]) {
        var found: [(Setting, String)] = []
        var remaining: [String] = []
        var valueless: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "--" {  // what follows is not options
                remaining += arguments[(index - 1)...]
                break
            }
            guard argument.hasPrefix("--") else { remaining.append(argument); continue }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            guard let setting = setting(flag: name) else { remaining.append(argument); continue }
            if let equals = body.firstIndex(of: "=") {
                found.append((setting, String(body[body.index(after: equals)...])))
            } else if index < arguments.endIndex {
                found.append((setting, arguments[index]))
                index += 1
            } else {
                valueless.append(argument)  // no value: ``apply(flags:)`` reports it
            }
        }
        return (found, remaining, valueless)
    }

    /// The command-line arguments without the settings flags, for commands that read them
    /// through ``apply(flags:)``; other commands (`bench`) keep every argument.
    public static func argumentsWithoutSettingFlags(_ arguments: [String]) -> [String] {
        guard arguments.first != "bench" else { return arguments }
        return settingFlags(in: arguments).remaining
    }

    /// Checks every setting's value and the ones that must agree with each other.
    public func validate() throws {
        for setting in Self.settings {
            if let problem = setting.problem(self) { throw ConfigurationError(message: problem) }
        }
        if drainDelayMs >= shutdownTimeoutMs {
            throw ConfigurationError(message: "drain_delay_ms (\(drainDelayMs)) must be below shutdown_timeout_ms (\(shutdownTimeoutMs))")
        }
        if maxPartitionEvents < bufferSize {
            throw ConfigurationError(message: "buffer.max_partition_events (\(maxPartitionEvents)) must be at least buffer.size (\(bufferSize))")
        }
        if authEnabled && authKeys.isEmpty {
            throw ConfigurationError(message: "auth is enabled but no key is configured: set AUTH_TOKEN or auth.keys")
        }
        // An empty key would admit a request whose body says `"writeKey": ""`.
        if authKeys.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ConfigurationError(message: "auth.keys holds an empty key; every key must have characters")
        }
        // An endpoint every S3 request would refuse (`http://host/path`), also where the catalog vends the credentials.
        if let endpoint = s3Endpoint, !endpoint.isEmpty {
            do {
                try S3Configuration.checkEndpoint(endpoint)
            } catch let error as FileIOError {
                throw ConfigurationError(message: "s3.endpoint \(endpoint): \(error.message)")
            }
        }
        // The embedded catalog has no credentials to vend: an s3:// warehouse needs its own.
        let warehouse = try warehouseLocation()
        if try restCatalogConfiguration() == nil, warehouse.hasPrefix("s3://"), s3Configuration() == nil {
            throw ConfigurationError(message: "warehouse \(warehouse) needs S3 credentials: set "
                                     + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (s3.access_key_id, s3.secret_access_key)")
        }
        _ = try compressionCodec()
        _ = try timestampPolicy()
        _ = try privacyRules()
    }
}

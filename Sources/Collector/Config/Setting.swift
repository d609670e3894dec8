import Iceberg

/// One setting of a Floe deployment: where it sits in the config file, the environment variables
/// and flag that set it, how its value is read and checked, and one line of documentation.
///
/// Every setting is an entry of ``FloeConfiguration/settings``; the config file, the environment,
/// the flags, the validation and the documentation test all come from that table.
struct Setting: Sendable {
    /// Dotted path in the config file, snake_case: `buffer.size`.
    let key: String
    /// Environment variables: names of one value (`R2_CATALOG_ENDPOINT`, `FLOE_CATALOG_URI`), which must agree
    /// when both are set, unless ``variablesInPrecedence``.
    let environment: [String]
    /// Long flag without the dashes (`data-dir`), when the setting has one.
    let flag: String?
    /// One line of documentation.
    let summary: String
    /// Values taken from the environment are added to the configured list instead of replacing it.
    let appendsFromEnvironment: Bool
    /// The variables are in precedence order and the first set one wins, as the AWS SDKs read
    /// `AWS_ENDPOINT_URL_S3` before `AWS_ENDPOINT_URL` and `AWS_REGION` before `AWS_DEFAULT_REGION`.
    let variablesInPrecedence: Bool
    /// Parses `input`, checks it and stores it.
    let assign: @Sendable (inout FloeConfiguration, SettingInput) throws -> Void
    /// The problem with the value `configuration` holds, if any.
    let problem: @Sendable (FloeConfiguration) -> String?
    /// The value `configuration` holds, as documentation shows it (`none` when unset).
    let describe: @Sendable (FloeConfiguration) -> String

    /// A setting stored at `path`. Values are read as `Value` reads them, or from text by `parseText`
    /// when given; `check` returns what is wrong with the final value (``FloeConfiguration/validate()``),
    /// so that a later layer can still correct an earlier one.
    init<Value: SettingValue>(
        _ key: String, _ path: any WritableKeyPath<FloeConfiguration, Value> & Sendable,
        env environment: [String], flag: String? = nil, appendsFromEnvironment: Bool = false,
        variablesInPrecedence: Bool = false, _ summary: String, parseText: (@Sendable (String) -> Value)? = nil, check: (@Sendable (Value) -> String?)? = nil
    ) {
        self.key = key
        self.environment = environment
        self.flag = flag
        self.summary = summary
        self.appendsFromEnvironment = appendsFromEnvironment
        self.variablesInPrecedence = variablesInPrecedence
        self.assign = { configuration, input in
            let value: Value
            if let parseText, case .text(let text, _, _) = input {
                value = parseText(text)
            } else {
                value = try Value.parse(input)
            }
            configuration[keyPath: path] = appendsFromEnvironment && input.isEnvironment
                ? Value.appending(value, to: configuration[keyPath: path]) : value
        }
        self.problem = { configuration in
            check.flatMap { $0(configuration[keyPath: path]) }.map { "\(key) \($0)" }
        }
        self.describe = { $0[keyPath: path].settingDescription }
    }
}

/// A value given to a setting, with where it came from (for error messages).
enum SettingInput: Sendable {
    /// From the environment or a flag: `FLOE_PORT=8080` has source `FLOE_PORT`.
    case text(String, source: String, isEnvironment: Bool)
    /// From the config file.
    case json(JSONValue, source: String)

    var source: String {
        switch self {
        case .text(_, let source, _), .json(_, let source): source
        }
    }

    var isEnvironment: Bool {
        if case .text(_, _, true) = self { return true }
        return false
    }

    /// A problem with this value, named by its source.
    func error(_ expected: String) -> ConfigurationError {
        switch self {
        case .text(let text, let source, let isEnvironment):
            ConfigurationError(message: "\(source)\(isEnvironment ? "=" : " ")\(text): expected \(expected)")
        case .json(let value, let source):
            ConfigurationError(message: "\(source): \(value.settingText) is not \(expected)")
        }
    }
}

/// Checks shared by the settings table.
enum SettingCheck {
    /// At least `minimum`.
    static func atLeast<T: Comparable & Sendable>(_ minimum: T) -> @Sendable (T) -> String? {
        { $0 < minimum ? "must be at least \(minimum) (is \($0))" : nil }
    }

    /// A duration in `unit`: at least `minimum` and at most ten years. Longer would overflow once converted to
    /// microseconds or nanoseconds, and no deployment means it (a "never" is ten years).
    static func duration(atLeast minimum: Int, _ unit: DurationUnit) -> @Sendable (Int) -> String? {
        within(minimum...unit.tenYears)
    }

    /// The unit of a duration setting.
    enum DurationUnit {
        case seconds, milliseconds, microseconds

        var tenYears: Int {
            let seconds = 10 * 365 * 86_400
            switch self {
            case .seconds: return seconds
            case .milliseconds: return seconds * 1_000
            case .microseconds: return seconds * 1_000_000
            }
        }
    }

    /// Within `range`.
    static func within<T: Comparable & Sendable>(_ range: ClosedRange<T>) -> @Sendable (T) -> String? {
        { range.contains($0) ? nil : "must be between \(range.lowerBound) and \(range.upperBound) (is \($0))" }
    }

    /// One of `choices` (compared lowercased).
    static func oneOf(_ choices: [String]) -> @Sendable (String) -> String? {
        { choices.contains($0.lowercased()) ? nil : "'\($0)': use \(choices.joined(separator: ", "))" }
    }

    /// Not empty.
    static let notEmpty: @Sendable (String) -> String? = { $0.isEmpty ? "must not be empty" : nil }

    /// An Iceberg namespace, levels separated by `.`: each level not empty, without `/`, control characters or
    /// spaces at its ends (a level names a directory of the warehouse).
    static let namespace: @Sendable (String) -> String? = { value in
        let levels = value.split(separator: ".", omittingEmptySubsequences: false)
        let bad = levels.first { level in
            level.isEmpty || level.contains("/") || level.contains("\\") || level.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
                || level.first?.isWhitespace == true || level.last?.isWhitespace == true
        }
        guard let bad else { return nil }
        return "'\(value)': level '\(bad)' must not be empty, hold / or \\ or control characters, or start or end with a space"
    }
}

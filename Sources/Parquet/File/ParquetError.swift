/// An error of the Parquet writer: invalid input columns or a failing compressor.
///
/// `code` is bounded and safe as a metric label; `message` says what was wrong without
/// including any values; `context` names the column.
public struct ParquetError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case schemaMismatch
            case invalidColumnData
            case compressionFailed
            case tooLarge
        }

        fileprivate let base: Base

        /// The columns do not match the schema: wrong count, wrong case for a field's type.
        public static let schemaMismatch = Code(base: .schemaMismatch)
        /// A column's values, validity or offsets are inconsistent with each other or the row count.
        public static let invalidColumnData = Code(base: .invalidColumnData)
        /// A compression library reported an error.
        public static let compressionFailed = Code(base: .compressionFailed)
        /// A page or column exceeds what Parquet's 32-bit sizes can describe.
        public static let tooLarge = Code(base: .tooLarge)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// Key/value details such as `column`.
    public var context: [String: String]

    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    public var description: String {
        var text = "ParquetError.\(code): \(message)"
        if !context.isEmpty {
            text += " (" + context.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
        }
        return text
    }
}

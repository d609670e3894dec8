/// A value bound to or read from a statement by ``SQLiteDatabase/query(_:_:)``.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)

    /// The text, when the value is text.
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

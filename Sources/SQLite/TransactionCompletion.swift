/// How a transaction body ends: ``SQLiteDatabase/inTransaction(_:_:)`` commits or rolls back
/// accordingly, and rolls back when the body throws.
public enum TransactionCompletion: Sendable {
    case commit
    case rollback
}

/// How a transaction takes its locks (SQLite's `BEGIN DEFERRED` / `BEGIN IMMEDIATE`).
public enum TransactionKind: String, Sendable {
    /// Takes locks as statements need them.
    case deferred = "DEFERRED"
    /// Takes the write lock at once, so the transaction never fails to upgrade later.
    case immediate = "IMMEDIATE"
}

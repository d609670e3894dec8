/// How often and how patiently a commit is retried after conflicts, from the table's `commit.retry.*` properties.
public struct CommitRetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt; `commit.retry.num-retries`, default 4.
    public var numRetries: Int = 4
    /// First backoff; `commit.retry.min-wait-ms`, default 100 ms.
    public var minWait: Duration = .milliseconds(100)
    /// Backoff cap; `commit.retry.max-wait-ms`, default 60 s.
    public var maxWait: Duration = .seconds(60)
    /// Time budget for all attempts; `commit.retry.total-timeout-ms`, default 30 min.
    public var totalTimeout: Duration = .seconds(1800)

    /// The defaults.
    public init() {}

    /// The defaults overridden by whichever `commit.retry.*` properties the table sets.
    public init(properties: [String: String]) {
        if let value = properties[TableProperty.commitNumRetries].flatMap(Int.init) { numRetries = max(0, value) }
        if let value = properties[TableProperty.commitMinWaitMs].flatMap(Int64.init) { minWait = .milliseconds(max(0, value)) }
        if let value = properties[TableProperty.commitMaxWaitMs].flatMap(Int64.init) { maxWait = .milliseconds(max(0, value)) }
        if let value = properties[TableProperty.commitTotalTimeoutMs].flatMap(Int64.init) { totalTimeout = .milliseconds(max(0, value)) }
    }
}

/// `Duration` as the plain numbers logs, metrics and reports use.
extension Duration {
    /// The duration in seconds, as a `Double`.
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in milliseconds, as a `Double`.
    package var inMilliseconds: Double { inSeconds * 1000 }

    /// The duration in whole nanoseconds.
    package var inNanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

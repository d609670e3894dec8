import Metrics
import Synchronization

/// Counters of events accepted, deduplicated, rejected and refused, created once and reused.
///
/// Dimensions stay bounded: the table name, and a rejection's reason without its batch position
/// (reasons name a known field and a fixed message). Names follow `floe_<area>_<what>_<unit>`.
struct IngestMetrics: Sendable {
    private let acceptedByTable: [String: Counter]
    private let duplicatesByTable: [String: Counter]
    private let refusedEvents: Counter

    init(tables: [String] = TableDefinition.all.map(\.name)) {
        acceptedByTable = Dictionary(uniqueKeysWithValues: tables.map {
            ($0, Counter(label: "floe_events_accepted_total", dimensions: [("table", $0)]))
        })
        duplicatesByTable = Dictionary(uniqueKeysWithValues: tables.map {
            ($0, Counter(label: "floe_events_deduplicated_total", dimensions: [("table", $0)]))
        })
        refusedEvents = Counter(label: "floe_events_refused_total")
    }

    func accepted(table: String, stored: Int, duplicates: Int) {
        if stored > 0 { acceptedByTable[table]?.increment(by: stored) }
        if duplicates > 0 { duplicatesByTable[table]?.increment(by: duplicates) }
    }

    /// An event stored in the `rejected` table, counted once per reason. Rejections are rare, so
    /// the counter is looked up per call (the metrics factory keeps one per reason).
    func rejected(reasons: [String]) {
        for reason in reasons {
            Counter(label: "floe_events_rejected_total", dimensions: [("reason", reasonLabels.label(reason))]).increment()
        }
    }

    private let reasonLabels = ReasonLabels()

    /// Reasons as label values, at most ``limit`` of them: a reason names a field, and a few name one the client
    /// chose (a binary-mode CloudEvent's `ce-*` header), so every reason past the limit is counted as `other`.
    private final class ReasonLabels: Sendable {
        static let limit = 200
        private let seen = Mutex<Set<String>>([])

        func label(_ reason: String) -> String {
            seen.withLock { seen in
                if seen.contains(reason) { return reason }
                guard seen.count < Self.limit else { return "other" }
                seen.insert(reason)
                return reason
            }
        }
    }

    /// Events of a request refused as a whole (nothing of it stored).
    func refused(_ count: Int) {
        refusedEvents.increment(by: max(count, 1))
    }
}

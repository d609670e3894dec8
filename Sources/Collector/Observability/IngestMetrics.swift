import Metrics

/// Counters of events accepted, deduplicated and rejected, created once and reused.
///
/// Dimensions stay bounded: the table name only. Names follow `floe_<area>_<what>_<unit>`.
struct IngestMetrics: Sendable {
    private let acceptedByTable: [String: Counter]
    private let duplicatesByTable: [String: Counter]
    private let rejectedEvents: Counter

    init(tables: [String] = [TableDefinition.events.name, TableDefinition.cloudEvents.name]) {
        acceptedByTable = Dictionary(uniqueKeysWithValues: tables.map {
            ($0, Counter(label: "floe_events_accepted_total", dimensions: [("table", $0)]))
        })
        duplicatesByTable = Dictionary(uniqueKeysWithValues: tables.map {
            ($0, Counter(label: "floe_events_deduplicated_total", dimensions: [("table", $0)]))
        })
        rejectedEvents = Counter(label: "floe_events_rejected_total")
    }

    func accepted(table: String, stored: Int, duplicates: Int) {
        if stored > 0 { acceptedByTable[table]?.increment(by: stored) }
        if duplicates > 0 { duplicatesByTable[table]?.increment(by: duplicates) }
    }

    func rejected(_ count: Int) {
        rejectedEvents.increment(by: max(count, 1))
    }
}

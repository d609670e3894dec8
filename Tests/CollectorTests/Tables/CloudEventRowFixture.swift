@testable import Collector

extension ColumnRowWriter {
    /// The required columns of a `cloudevents` row, for decoder tests that vary the other columns.
    mutating func requiredCloudEventColumns(id: String = "i", receivedAt: Int64 = 1) {
        string(CloudEventsColumn.id, id)
        string(CloudEventsColumn.type, "t")
        string(CloudEventsColumn.source, "s")
        string(CloudEventsColumn.specversion, "1.0")
        timestamp(CloudEventsColumn.receivedAt, receivedAt)
    }
}

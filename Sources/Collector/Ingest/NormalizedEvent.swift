import Buffer

/// One validated event of a line, not yet written: a row of `events` or `cloudevents`.
///
/// The HTTP path adds it to an ``EventBatch`` (buffer encoding); backfill writes it
/// straight into the column buffers of its partition.
enum NormalizedEvent {
    case segment(SegmentNormalizer, SegmentNormalizer.Message)
    case cloudEvent(CloudEventNormalizer, CloudEventNormalizer.Attributes)

    var partition: PartitionSlot {
        switch self {
        case .segment(_, let message): message.partition
        case .cloudEvent(let normalizer, let attributes): normalizer.partition(of: attributes)
        }
    }

    func write(into row: inout some RowWriter) {
        switch self {
        case .segment(let normalizer, let message): normalizer.write(message, into: &row)
        case .cloudEvent(let normalizer, let attributes): normalizer.write(attributes, into: &row)
        }
    }

    /// Adds the event to `events`: its row in the buffer encoding, partition and dedup key.
    func append(to events: inout EventBatch) {
        switch self {
        case .segment(let normalizer, let message): normalizer.append(message, to: &events)
        case .cloudEvent(let normalizer, let attributes): normalizer.append(attributes, to: &events)
        }
    }
}

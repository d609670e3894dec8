import Buffer

/// One validated event of a line, not yet written: a row of `events` or `cloudevents`.
///
/// ``LineNormalizer/validate(_:request:each:)`` hands these out; backfill takes the same events through a
/// ``NormalizedEventSink`` instead, with no normalizer copied per event.
enum NormalizedEvent {
    case segment(SegmentNormalizer, SegmentNormalizer.Message)
    case cloudEvent(CloudEventNormalizer, CloudEventNormalizer.Attributes)

    var partition: PartitionSlot {
        switch self {
        case .segment(_, let message): message.partition
        case .cloudEvent(let normalizer, let attributes): normalizer.partition(of: attributes)
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

import Buffer

/// Where ``LineNormalizer`` hands the valid events of a line, with their normalizer borrowed.
///
/// A value holding an event and its normalizer together would copy the normalizer, retaining and
/// releasing the line's tape and the request's strings once per event; a sink takes both as they are.
protocol NormalizedEventSink {
    associatedtype Failure: Error

    mutating func take(_ message: SegmentNormalizer.Message, of normalizer: SegmentNormalizer) throws(Failure)
    mutating func take(_ attributes: CloudEventNormalizer.Attributes, of normalizer: CloudEventNormalizer) throws(Failure)
}

/// A sink that only counts events (a dry run).
struct CountedEvents: NormalizedEventSink {
    var count = 0

    mutating func take(_ message: SegmentNormalizer.Message, of normalizer: SegmentNormalizer) { count += 1 }
    mutating func take(_ attributes: CloudEventNormalizer.Attributes, of normalizer: CloudEventNormalizer) { count += 1 }
}

/// `LineNormalizer.normalize`'s sink (benchmark corpora, tests): each event's row in the buffer encoding.
extension EventBatch: NormalizedEventSink {
    mutating func take(_ message: SegmentNormalizer.Message, of normalizer: SegmentNormalizer) {
        normalizer.append(message, to: &self)
    }

    mutating func take(_ attributes: CloudEventNormalizer.Attributes, of normalizer: CloudEventNormalizer) {
        normalizer.append(attributes, to: &self)
    }
}

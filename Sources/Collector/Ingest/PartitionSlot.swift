import Buffer

/// A normalized event's buffer partition as a cheap hashable value: its table, type and event hour.
///
/// ``id`` is the ``PartitionID`` string key (`{type}/{YYYY-MM-DD-HH}`), built once per slot
/// (``PartitionIDCache``); the backfill path looks partitions up by slot itself.
struct PartitionSlot: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        case segment(SegmentNormalizer.MessageType)
        /// A CloudEvents `type`, as sent.
        case cloudEvent([UInt8])
        /// A rejected event's format (`segment`, `cloudevents`).
        case rejected(String)
    }

    var kind: Kind
    /// Hours since the epoch of the event time.
    var hours: Int32

    init(segment type: SegmentNormalizer.MessageType, hours: Int32) {
        kind = .segment(type)
        self.hours = hours
    }

    init(cloudEventType type: some Collection<UInt8>, hours: Int32) {
        kind = .cloudEvent(Array(type))
        self.hours = hours
    }

    init(rejected format: String, hours: Int32) {
        kind = .rejected(format)
        self.hours = hours
    }

    var table: TableDefinition {
        switch kind {
        case .segment: TableDefinition.events
        case .cloudEvent: TableDefinition.cloudEvents
        case .rejected: TableDefinition.rejected
        }
    }

    /// The partition's type and hour.
    var key: PartitionKey {
        let type = switch kind {
        case .segment(let type): type.rawValue
        case .cloudEvent(let type): String(decoding: type, as: UTF8.self)
        case .rejected(let format): format
        }
        return PartitionKey(type: type, hours: hours)
    }

    var id: PartitionID {
        PartitionIDCache.shared.id(for: self)
    }
}

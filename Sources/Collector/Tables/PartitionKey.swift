import FloeSupport
import Iceberg

/// A partition of Floe's tables: the event type and the event hour. Its text form
/// `{type}/{YYYY-MM-DD-HH}` is the buffer's ``Buffer/PartitionID`` key; this is the one place that
/// writes and parses it.
struct PartitionKey: Hashable, Sendable, CustomStringConvertible {
    /// The value of the table's type column (Segment type, CloudEvents `type`, rejected format).
    var type: String
    /// Hours since the epoch of the event time.
    var hours: Int32

    /// By the type's UTF-8 bytes, as Iceberg compares partition values (``Buffer/PartitionID`` says why).
    static func == (lhs: PartitionKey, rhs: PartitionKey) -> Bool {
        lhs.hours == rhs.hours && lhs.type.equalsUTF8(rhs.type)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hours)
        type.hashUTF8(into: &hasher)
    }

    init(type: String, hours: Int32) {
        self.type = type
        self.hours = hours
    }

    /// Parses `{type}/{YYYY-MM-DD-HH}` (the type may itself hold slashes); nil when malformed.
    init?(_ text: String) {
        guard let slash = text.lastIndex(of: "/"),
              let hours = Timestamp.hours(fromLabel: text[text.index(after: slash)...]) else { return nil }
        self.init(type: String(text[..<slash]), hours: hours)
    }

    /// The Iceberg partition tuple of Floe's tables: identity of the type, hour of the event time.
    var partitionValues: [PartitionValue] { [.string(type), .int(hours)] }

    /// The key of a partition tuple of Floe's tables; nil for any other tuple.
    init?(partitionValues: [PartitionValue]) {
        guard partitionValues.count == 2, case .string(let type) = partitionValues[0],
              case .int(let hours) = partitionValues[1] else { return nil }
        self.init(type: type, hours: hours)
    }

    /// `{type}/{YYYY-MM-DD-HH}`.
    var description: String { "\(type)/\(Timestamp.hourLabel(hours))" }
}

/// A table sort order; Floe writes only the unsorted order 0 but keeps any others it reads.
public struct SortOrder: Sendable, Hashable, Codable {
    /// One sort key of a sort order.
    public struct Field: Sendable, Hashable, Codable {
        public var sourceId: Int32
        public var transform: String
        /// `asc` or `desc`.
        public var direction: String
        /// `nulls-first` or `nulls-last`.
        public var nullOrder: String

        /// Creates a sort field.
        public init(sourceId: Int32, transform: String, direction: String, nullOrder: String) {
            self.sourceId = sourceId
            self.transform = transform
            self.direction = direction
            self.nullOrder = nullOrder
        }

        private enum CodingKeys: String, CodingKey {
            case sourceId = "source-id", transform, direction, nullOrder = "null-order"
        }
    }

    public var orderId: Int32
    public var fields: [Field]

    /// Creates a sort order.
    public init(orderId: Int32, fields: [Field]) {
        self.orderId = orderId
        self.fields = fields
    }

    /// The unsorted order, id 0.
    public static let unsorted = SortOrder(orderId: 0, fields: [])

    private enum CodingKeys: String, CodingKey {
        case orderId = "order-id", fields
    }
}

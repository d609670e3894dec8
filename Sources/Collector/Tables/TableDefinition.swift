import Parquet

/// One of Floe's tables: its columns with fixed field ids, and its partitioning.
///
/// The same definition yields the Iceberg schema for `createTable`, the Parquet schema of its
/// data files, and the layout of buffered rows (``RowEncoder`` writes columns in this order).
package struct TableDefinition: Sendable {
    /// The value kinds a Floe column can hold.
    enum ColumnKind: Sendable, Equatable {
        case string
        /// `timestamptz`, microseconds since the epoch.
        case timestamp
        case int32
        /// `map<string, string>` with an optional value.
        case stringMap(keyId: Int32, valueId: Int32)
        /// `list<string>` with required elements.
        case stringList(elementId: Int32)
    }

    package struct Column: Sendable {
        var id: Int32
        var name: String
        var kind: ColumnKind
        var required: Bool
    }

    /// Table name in the catalog (`events`, `cloudevents`, `rejected`).
    package var name: String
    package var columns: [Column]
    /// Index of the column the identity partition (field id 1000) reads; the partition has its name.
    var typeColumn: Int
    /// Index of the column the `hour` partition reads, and that partition's name.
    var timeColumn: Int
    var hourPartitionName: String

    func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// Every table Floe writes, in a stable order.
    package static let all: [TableDefinition] = [.events, .cloudEvents, .rejected]

    /// The table called `name`, if Floe writes one.
    static func named(_ name: String) -> TableDefinition? { all.first { $0.name == name } }

    package var parquetSchema: ParquetSchema {
        ParquetSchema(fields: columns.map { column in
            let type: ParquetType
            switch column.kind {
            case .string: type = .string
            case .timestamp: type = .timestampMicrosUTC
            case .int32: type = .int32
            case .stringMap(let keyId, let valueId):
                type = .map(key: ParquetField(name: "key", fieldId: keyId, type: .string, isRequired: true),
                            value: ParquetField(name: "value", fieldId: valueId, type: .string, isRequired: false))
            case .stringList(let elementId):
                type = .list(element: ParquetField(name: "element", fieldId: elementId, type: .string, isRequired: true))
            }
            return ParquetField(name: column.name, fieldId: column.id, type: type, isRequired: column.required)
        })
    }
}

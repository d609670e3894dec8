import Iceberg
import Logging
import Parquet
import FloeSupport

/// The Iceberg view of a ``TableDefinition``: schema, partition spec and data-file metadata.
extension TableDefinition {
    var icebergSchema: Schema {
        Schema(schemaId: 0, fields: columns.map { column in
            let type: IcebergType
            switch column.kind {
            case .string: type = .string
            case .timestamp: type = .timestamptz
            case .int32: type = .int
            case .stringMap(let keyId, let valueId):
                type = .map(keyId: keyId, key: .string, valueId: valueId, value: .string, valueRequired: false)
            case .stringList(let elementId):
                type = .list(elementId: elementId, element: .string, elementRequired: true)
            }
            return NestedField(id: column.id, name: column.name, required: column.required, type: type)
        })
    }

    /// The table with the columns this version of Floe writes that it lacks (a table created by an
    /// earlier version), added by schema evolution.
    func evolve(_ table: Table, in catalog: any Catalog, logger: Logger) async throws -> Table {
        let evolved = try await catalog.addingMissingFields(of: icebergSchema, to: table)
        if evolved.metadata.currentSchemaId != table.metadata.currentSchemaId {
            let before = Set(table.metadata.currentSchema?.fields.map(\.name) ?? [])
            logger.info("table schema evolved", metadata: [
                "floe.table": "\(table.identifier)", "floe.schema_id": "\(evolved.metadata.currentSchemaId)",
                "floe.added_columns": "\((evolved.metadata.currentSchema?.fields.map(\.name) ?? []).filter { !before.contains($0) })",
            ])
        }
        return evolved
    }

    /// `identity(<type column>)` (1000) and `hour(<time column>)` (1001), docs/design.md §2.
    var partitionSpec: PartitionSpec {
        PartitionSpec(specId: 0, fields: [
            PartitionField(sourceId: columns[typeColumn].id, fieldId: 1000, name: columns[typeColumn].name,
                           transform: "identity"),
            PartitionField(sourceId: columns[timeColumn].id, fieldId: 1001, name: hourPartitionName, transform: "hour"),
        ])
    }

    /// `<type column>=<value>/<hour name>=YYYY-MM-DD-HH`, the data-file directory of a partition.
    func partitionPath(_ key: PartitionKey) -> String {
        "\(columns[typeColumn].name)=\(PercentEncoding.encode(key.type))/\(hourPartitionName)=\(Timestamp.hourLabel(key.hours))"
    }

    /// Iceberg metrics for a data file from the Parquet writer's column summaries.
    func dataFile(path: String, key: PartitionKey, file: ParquetFile) -> DataFile {
        var sizes: [Int32: Int64] = [:], values: [Int32: Int64] = [:], nulls: [Int32: Int64] = [:]
        var lower: [Int32: [UInt8]] = [:], upper: [Int32: [UInt8]] = [:]
        let topLevel = Set(columns.map(\.id))
        for column in file.columns {
            guard let id = column.fieldId else { continue }
            sizes[id, default: 0] += column.compressedSize
            // Counts and bounds only for top-level primitive columns: a nested leaf's Parquet
            // value count includes empty and null parents, which is not Iceberg's value count.
            if topLevel.contains(id), column.path.count == 1 {
                values[id, default: 0] += column.valueCount
                nulls[id, default: 0] += column.nullCount
                if let min = column.minValue { lower[id] = min }
                if let max = column.maxValue { upper[id] = max }
            }
        }
        return DataFile(filePath: path, partition: key.partitionValues, recordCount: file.rowCount,
                        fileSizeInBytes: Int64(file.bytes.count), columnSizes: sizes, valueCounts: values,
                        nullValueCounts: nulls, lowerBounds: lower, upperBounds: upper)
    }
}

import Benchmark
import Buffer
import Collector
@_spi(Benchmarks) import FloeBench
import Foundation
import Iceberg
import Logging
import Parquet

/// Hot paths of a flush and of ingest: Parquet column encoding per type and codec (Thrift footer
/// included), the buffer's group-committed append, an Iceberg commit (Avro manifest + manifest
/// list + metadata) on the embedded catalog, and on their own: Avro manifest writing, buffered-row
/// decoding into column buffers, JSON normalization of Segment messages, and SigV4 signing of an
/// S3 upload. Time, allocations and syscalls per iteration; set-up (opening a buffer or catalog,
/// normalizing the sample) happens before `startMeasurement()` and is not counted.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .syscalls],
                                           maxDuration: .seconds(3))
    let rows = 10_000
    var strings = ByteArrayBuffer()
    var json = ByteArrayBuffer()
    for index in 0..<rows {
        strings.append(Array("user_\(index % 5000)".utf8))
        json.append(Array("{\"product_id\":\"sku-\(index)\",\"price\":\(index % 500).5,\"currency\":\"EUR\"}".utf8))
    }
    let timestamps = (0..<rows).map { 1_790_000_000_000_000 + Int64($0) * 1_000 }
    let schema = ParquetSchema(fields: [
        ParquetField(name: "user_id", fieldId: 1, type: .string, isRequired: true),
        ParquetField(name: "properties", fieldId: 2, type: .string, isRequired: true),
        ParquetField(name: "timestamp", fieldId: 3, type: .timestampMicrosUTC, isRequired: true),
    ])
    let columns: [ColumnData] = [.byteArray(strings, validity: nil), .byteArray(json, validity: nil),
                                 .int64(timestamps, validity: nil)]
    for (name, codec) in [("zstd1", CompressionCodec.zstd(level: 1)), ("snappy", .snappy), ("none", .uncompressed)] {
        Benchmark("Parquet.write.10k-rows.\(name)") { benchmark in
            var options = WriterOptions()
            options.codec = codec
            for _ in benchmark.scaledIterations {
                blackHole(try ParquetFileWriter.write(schema: schema, columns: columns, rowCount: rows, options: options))
            }
        }
    }

    // One column per type (ZSTD level 1): the per-type cost of encoding, statistics and dictionary.
    let validEveryTenth: [Bool] = (0..<rows).map { $0 % 10 != 0 }
    let counts: [Int32] = (0..<rows).filter { $0 % 10 != 0 }.map { Int32($0 % 1000) }
    let prices: [Double] = (0..<rows).map { Double($0 % 500) + 0.5 }
    let flags: [Bool] = (0..<rows).map { $0 % 3 == 0 }
    var typed: [(String, ParquetField, ColumnData)] = []
    typed.append(("string-dictionary", ParquetField(name: "user_id", fieldId: 1, type: .string, isRequired: true),
                  .byteArray(strings, validity: nil)))
    typed.append(("string-plain", ParquetField(name: "properties", fieldId: 1, type: .string, isRequired: true),
                  .byteArray(json, validity: nil)))
    typed.append(("timestamp", ParquetField(name: "timestamp", fieldId: 1, type: .timestampMicrosUTC, isRequired: true),
                  .int64(timestamps, validity: nil)))
    typed.append(("int32-nullable", ParquetField(name: "count", fieldId: 1, type: .int32, isRequired: false),
                  .int32(counts, validity: validEveryTenth)))
    typed.append(("double", ParquetField(name: "price", fieldId: 1, type: .double, isRequired: true),
                  .double(prices, validity: nil)))
    typed.append(("boolean", ParquetField(name: "flag", fieldId: 1, type: .boolean, isRequired: true),
                  .boolean(flags, validity: nil)))
    for (name, field, column) in typed {
        Benchmark("Parquet.column.10k-rows.\(name)") { benchmark in
            let single = ParquetSchema(fields: [field])
            for _ in benchmark.scaledIterations {
                blackHole(try ParquetFileWriter.write(schema: single, columns: [column], rowCount: rows, options: WriterOptions()))
            }
        }
    }

    Benchmark("Buffer.append.100-events", configuration: .init(maxDuration: .seconds(3))) { benchmark in
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("floe-bench-\(UUID().uuidString).db").path
        let buffer = try EventBuffer(configuration: BufferConfiguration(path: path), logger: Logger(label: "bench"))
        let payload = [UInt8](repeating: 0x41, count: 700)
        var sequence = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var batch: [BufferedEvent] = []
            for _ in 0..<100 {
                sequence += 1
                batch.append(BufferedEvent(partition: PartitionID(table: "events", key: "track/2026-11-01-00"),
                                           receivedAt: 1, payload: payload, dedupKey: Array("s\(sequence)".utf8)))
            }
            blackHole(try await buffer.append(batch))
        }
    }

    let messages = (0..<10_000).map { index in
        """
        {"type":"track","event":"Product Viewed","messageId":"m-\(index)","userId":"user_\(index % 5000)",\
        "timestamp":"2026-11-01T\(String(format: "%02d", index % 24)):15:00.000Z","properties":{"product_id":"sku-\(index)",\
        "price":\(index % 500).5,"currency":"EUR"},"context":{"library":{"name":"analytics.js","version":"2.1"},\
        "ip":"10.0.0.\(index % 250)","userAgent":"Mozilla/5.0"}}
        """
    }
    Benchmark("Rows.decode.10k-events") { benchmark in
        let sample = try EncodedRowSample(segmentLines: messages)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try sample.decode()) }
    }
    Benchmark("Ingest.normalize.10k-events") { benchmark in
        let sample = try EncodedRowSample(segmentLines: messages)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(sample.normalize()) }
    }
    Benchmark("Backfill.normalize-into-columns.10k-events") { benchmark in
        let sample = try EncodedRowSample(segmentLines: messages)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try sample.normalizeIntoColumns()) }
    }

    let manifestSchema = Schema(fields: [NestedField(id: 1, name: "type", required: true, type: .string)])
    let manifestSpec = PartitionSpec(fields: [PartitionField(sourceId: 1, fieldId: 1000, name: "type", transform: "identity")])
    let manifestFiles = (0..<100).map { index in
        DataFile(filePath: "s3://bucket/warehouse/analytics/events/data/type=t\(index % 6)/\(index).parquet",
                 partition: [.string("t\(index % 6)")], recordCount: 2000, fileSizeInBytes: 150_000)
    }
    Benchmark("Avro.manifest.100-files") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try IcebergHotPaths.writeManifest(schema: manifestSchema, spec: manifestSpec, files: manifestFiles,
                                                        snapshotId: 42))
        }
    }

    let body = [UInt8](repeating: 0x5a, count: 1 << 20)
    let bodyHash = IcebergHotPaths.hexSHA256(body)
    let date = Date(timeIntervalSince1970: 1_790_000_000)
    Benchmark("SigV4.sign.s3-put") { benchmark in
        for iteration in benchmark.scaledIterations {
            blackHole(IcebergHotPaths.signS3Put(bucket: "lake", key: "warehouse/events/data/\(iteration).parquet",
                                                payloadSHA256: bodyHash, date: date))
        }
    }
    Benchmark("SigV4.payload-sha256.1MiB") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(IcebergHotPaths.hexSHA256(body)) }
    }

    Benchmark("Iceberg.commit.10-files", configuration: .init(maxDuration: .seconds(3))) { benchmark in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let fileIO = LocalFileIO()
        let catalog = try SQLCatalog(databasePath: directory.appendingPathComponent("catalog.db").path,
                                     warehouseLocation: "file://" + directory.path, fileIO: fileIO,
                                     logger: Logger(label: "bench"))
        let id = TableIdentifier(namespace: ["bench"], name: "events")
        _ = try await catalog.loadOrCreateTable(
            id, schema: Schema(fields: [NestedField(id: 1, name: "type", required: true, type: .string)]),
            partitionSpec: PartitionSpec(fields: [PartitionField(sourceId: 1, fieldId: 1000, name: "type", transform: "identity")]),
            properties: [:])
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: Logger(label: "bench"))
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            let files = (0..<10).map { index in
                DataFile(filePath: "file://\(directory.path)/data/\(iteration)-\(index).parquet", partition: [.string("t\(index)")],
                         recordCount: 2000, fileSizeInBytes: 150_000)
            }
            blackHole(try await appender.append(to: id, files: files, commitId: UUID().uuidString))
        }
    }
}

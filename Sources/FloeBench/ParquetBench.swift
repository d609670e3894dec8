import Collector
import Foundation
import Parquet

/// `floe bench parquet`: rows already in memory → complete Parquet bytes, best of N repeats.
public enum ParquetBench {
    /// One JSON line: `{"rows":..,"bytes":..,"seconds":..,"rows_per_s":..}`.
    public static func run(input: String, format: String, codec: String, level: Int32, repeats: Int,
                           output: String?) throws -> String {
        guard let format = LineNormalizer.Format(rawValue: format) else {
            throw ConfigurationError(message: "format must be segment or cloudevents")
        }
        var configuration = FloeConfiguration()
        configuration.codec = codec
        configuration.codecLevel = level
        var options = WriterOptions()
        options.codec = try configuration.compressionCodec()
        let corpus = try BenchCorpus(path: input, format: format)
        var decoder = RowBatchDecoder(table: corpus.table, expectedRows: corpus.events.count)
        for index in 0..<corpus.events.count { try decoder.append(corpus.events.row(index)) }
        let columns = decoder.columns()
        let schema = corpus.table.parquetSchema
        var best = Double.infinity
        var file: ParquetFile?
        for _ in 0..<max(1, repeats) {
            let start = ContinuousClock.now
            let written = try ParquetFileWriter.write(schema: schema, columns: columns, rowCount: decoder.rowCount,
                                                      options: options)
            let elapsed = ContinuousClock.now - start
            best = min(best, elapsed.inSeconds)
            file = written
        }
        let bytes = file?.bytes ?? []
        if let output {
            try Data(bytes).write(to: URL(fileURLWithPath: output))
        }
        let rowsPerSecond = Double(decoder.rowCount) / best
        return "{\"rows\":\(decoder.rowCount),\"bytes\":\(bytes.count),\"seconds\":\(best),\"rows_per_s\":\(Int(rowsPerSecond)),\"codec\":\"\(codec)\",\"level\":\(level)}"
    }
}

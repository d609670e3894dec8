/// Receives one table row's column values from a normalizer.
///
/// ``RowEncoder`` stores them in the buffer encoding (the HTTP path); ``ColumnRowWriter``
/// appends them straight to Parquet column buffers (backfill, which has no buffer to pass
/// through). Each column is written at most once per row; columns not written are null.
protocol RowWriter {
    mutating func string(_ column: Int, _ value: some Collection<UInt8>)
    mutating func timestamp(_ column: Int, _ micros: Int64)
    mutating func int32(_ column: Int, _ value: Int32)
    /// A string map; `entries` values of `nil` are stored as null.
    mutating func stringMap(_ column: Int, _ entries: [(key: [UInt8], value: [UInt8]?)])
    /// A list of strings (none null).
    mutating func stringList(_ column: Int, _ elements: [[UInt8]])
}

extension RowWriter {
    mutating func string(_ column: Int, _ value: String) {
        var copy = value
        copy.withUTF8 { string(column, $0) }
    }
}

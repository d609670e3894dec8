extension Array where Element == UInt8 {
    /// Appends raw bytes with a single bulk copy.
    mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
    }
}

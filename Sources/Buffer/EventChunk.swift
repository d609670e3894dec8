/// Several events of one partition stored as one buffer row: LEB128 length + payload, repeated.
///
/// One append transaction writes one chunk per partition it touches, so SQLite does one insert
/// per (request batch, partition) instead of one per event, and a flush reads and a purge
/// deletes a few large rows. Events in a chunk have consecutive sequence numbers.
enum EventChunk {
    static func encode(_ payloads: some Sequence<[UInt8]>, totalBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(totalBytes + totalBytes / 64 + 16)
        for payload in payloads { append(payload, to: &bytes) }
        return bytes
    }

    /// Appends one payload (its length, then its bytes) to a chunk.
    static func append(_ payload: some Collection<UInt8>, to bytes: inout [UInt8]) {
        var length = UInt64(payload.count)
        while length >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        bytes.append(UInt8(length))
        bytes.append(contentsOf: payload)
    }

    /// The payloads of a chunk, as slices of `bytes` (no copies).
    static func decode(_ bytes: [UInt8]) throws(BufferError) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var index = 0
        while index < bytes.count {
            var length = 0
            var shift = 0
            while true {
                guard index < bytes.count, shift < 63 else {
                    throw BufferError(.corrupt, "truncated event length in a buffered chunk")
                }
                let byte = bytes[index]
                index += 1
                length |= Int(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            guard length >= 0, index + length <= bytes.count else {
                throw BufferError(.corrupt, "truncated event in a buffered chunk")
            }
            result.append(bytes[index..<index + length])
            index += length
        }
        return result
    }
}

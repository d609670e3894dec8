import CZlib

/// The CRC-32 (zlib polynomial) of a page's compressed bytes, as `PageHeader.crc` stores it.
enum PageChecksum {
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let value = CZlib.crc32(0, base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
        return Int32(bitPattern: UInt32(truncatingIfNeeded: value))
    }
}

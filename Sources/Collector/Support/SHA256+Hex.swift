import Crypto

extension SHA256Digest {
    /// Lowercase hex digits of the first `bytes` bytes of the digest (all of them by default).
    func hex(bytes: Int = SHA256Digest.byteCount) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes * 2)
        for byte in prefix(bytes) { out += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        return String(decoding: out, as: UTF8.self)
    }
}

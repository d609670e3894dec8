@testable import Parquet
import Testing

@Suite("PageChecksum")
struct PageChecksumTests {
    @Test("CRC-32 of the check string is 0xCBF43926")
    func checkValue() {
        let bytes = Array("123456789".utf8)
        let crc = bytes.withUnsafeBytes { PageChecksum.crc32($0) }
        #expect(UInt32(bitPattern: crc) == 0xCBF4_3926)
    }

    @Test("CRC-32 of nothing is 0")
    func empty() {
        let crc = [UInt8]().withUnsafeBytes { PageChecksum.crc32($0) }
        #expect(crc == 0)
    }
}

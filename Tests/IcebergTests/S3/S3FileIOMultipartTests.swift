import Testing

@testable import Iceberg

@Suite("S3FileIO multipart planning")
struct S3FileIOMultipartTests {
    private func multipart(partSize: Int) -> S3Configuration.Multipart {
        var multipart = S3Configuration.Multipart()
        multipart.partSize = partSize
        return multipart
    }

    @Test("parts are equal except a shorter last one")
    func equalParts() {
        let ranges = S3FileIO.partRanges(byteCount: 40 << 20, multipart: multipart(partSize: 6 << 20))
        #expect(ranges.count == 7)
        #expect(ranges.dropLast().allSatisfy { $0.count == 6 << 20 })
        #expect(ranges.last?.count == 4 << 20)
        #expect(ranges.first?.lowerBound == 0)
        #expect(ranges.last?.upperBound == 40 << 20)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    }

    @Test("parts are at least 5 MiB and never more than 10,000")
    func limits() {
        #expect(S3FileIO.partRanges(byteCount: 12 << 20, multipart: multipart(partSize: 1 << 20)).map(\.count)
            == [5 << 20, 5 << 20, 2 << 20])
        let huge = S3FileIO.partRanges(byteCount: 100_000 << 20, multipart: multipart(partSize: 5 << 20))
        #expect(huge.count <= 10_000)
    }

    @Test("the expected multipart ETag is the MD5 of the part MD5s with the part count")
    func multipartETag() {
        // MD5("a") and MD5("b"); S3 would report the ETag of the 2-part object "ab" as below.
        let eTags = ["\"0cc175b9c0f1b6a831c399e269772661\"", "\"92eb5ffee6ae2fec3ad71c777531578f\""]
        #expect(S3FileIO.multipartETag(partETags: eTags) == "\"" + Self.md5Concatenated + "-2\"")
        #expect(S3FileIO.multipartETag(partETags: ["\"not-an-md5\""]) == nil)
        #expect(S3FileIO.md5ETag(Array("a".utf8)) == "\"0cc175b9c0f1b6a831c399e269772661\"")
    }

    /// `python3 -c "import hashlib;print(hashlib.md5(hashlib.md5(b'a').digest()+hashlib.md5(b'b').digest()).hexdigest())"`
    static let md5Concatenated = "96e024ba2074fe77e8e965ba43a704be"
}

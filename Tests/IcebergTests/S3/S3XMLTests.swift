import Testing

@testable import Iceberg

@Suite("S3XML")
struct S3XMLTests {
    @Test("a ListObjectsV2 page gives keys and the continuation token")
    func listPage() throws {
        let body = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>lake</Name><Prefix>a/</Prefix>\
        <KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>\
        <Contents><Key>a/x &amp; y.parquet</Key><Size>3</Size></Contents>\
        <Contents><Key>a/&#x65E5;&lt;&#51;&gt;</Key><Size>4</Size></Contents>\
        <NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>
        """
        let page = try S3FileIO.ListPage(xml: Array(body.utf8), location: S3Location(bucket: "lake", key: "a/"))
        #expect(page.keys == ["a/x & y.parquet", "a/日<3>"])
        #expect(page.nextContinuationToken == "tok+/=")
    }

    @Test("the last page has no token, and a truncated page without one is an error")
    func lastPage() throws {
        let last = "<ListBucketResult><IsTruncated>false</IsTruncated><NextContinuationToken>x</NextContinuationToken></ListBucketResult>"
        #expect(try S3FileIO.ListPage(xml: Array(last.utf8), location: S3Location(bucket: "b", key: "")).nextContinuationToken == nil)
        let broken = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"
        #expect(throws: (any Error).self) { try S3FileIO.ListPage(xml: Array(broken.utf8), location: S3Location(bucket: "b", key: "")) }
    }

    @Test("empty elements and escaping round-trip")
    func emptyAndEscape() {
        let xml = S3XML(Array("<R><Key/><Key>a</Key></R>".utf8))
        #expect(xml.values(of: "Key") == ["", "a"])
        #expect(S3XML.escape("\"e&t<a>g\"") == "&quot;e&amp;t&lt;a&gt;g&quot;")
        #expect(S3XML.decode(S3XML.escape("\"e&t<a>g\"")[...]) == "\"e&t<a>g\"")
    }
}

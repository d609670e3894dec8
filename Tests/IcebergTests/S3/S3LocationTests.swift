import Iceberg
import Testing

@testable import Iceberg

@Suite("S3Location")
struct S3LocationTests {
    @Test("s3 URIs split into scheme, bucket and key", arguments: [
        ("s3://lake/events/data/a.parquet", "s3", "lake", "events/data/a.parquet"),
        ("s3a://lake/k", "s3a", "lake", "k"),
        ("s3://lake", "s3", "lake", ""),
        ("s3://lake/", "s3", "lake", ""),
        ("s3://lake//double", "s3", "lake", "/double"),
    ])
    func parses(location: String, scheme: String, bucket: String, key: String) throws {
        let parsed = try S3Location(location)
        #expect(parsed.scheme == scheme)
        #expect(parsed.bucket == bucket)
        #expect(parsed.key == key)
    }

    @Test("other schemes and missing buckets are invalid locations", arguments: ["file:///tmp/x", "/tmp/x", "s3:///key", "gs://b/k"])
    func rejects(location: String) throws {
        let error = try #require(throws: FileIOError.self) { try S3Location(location) }
        #expect(error.code == .invalidLocation)
        #expect(error.context["location"] == location)
    }
}

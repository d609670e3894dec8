import Iceberg
import Testing

@testable import Iceberg

@Suite("S3Endpoint")
struct S3EndpointTests {
    private func endpoint(_ url: String?, region: String = "us-east-1", pathStyle: Bool = false) throws -> S3Endpoint {
        var configuration = S3Configuration(endpoint: url, region: region, pathStyle: pathStyle,
                                            credentials: S3CredentialStore(S3Credentials(accessKeyID: "a", secretAccessKey: "b")))
        configuration.pathStyle = pathStyle
        return try S3Endpoint(configuration: configuration)
    }

    @Test("AWS is addressed virtual-hosted by default")
    func awsVirtualHosted() throws {
        let address = try endpoint(nil, region: "eu-west-1").address(bucket: "lake", key: "a b")
        #expect(address.url == "https://lake.s3.eu-west-1.amazonaws.com/a%20b")
        #expect(address.host == "lake.s3.eu-west-1.amazonaws.com")
        #expect(address.path == "/a%20b")
    }

    @Test("path style puts the bucket in the path and keeps a non-default port in Host")
    func pathStyle() throws {
        let address = try endpoint("http://minio.local:9000/", pathStyle: true)
            .address(bucket: "lake", key: "k", query: [("uploads", "")])
        #expect(address.url == "http://minio.local:9000/lake/k?uploads=")
        #expect(address.host == "minio.local:9000")
        #expect(address.path == "/lake/k")
    }

    @Test("IP and localhost endpoints always use path style", arguments: ["http://127.0.0.1:5000", "http://localhost:9000", "http://[::1]:9000"])
    func ipForcesPathStyle(url: String) throws {
        #expect(try endpoint(url, pathStyle: false).pathStyle)
    }

    @Test("a default port is left out of Host")
    func defaultPort() throws {
        let address = try endpoint("https://acc.r2.cloudflarestorage.com:443").address(bucket: "lake", key: nil)
        #expect(address.host == "lake.acc.r2.cloudflarestorage.com")
        #expect(address.path == "/")
    }

    @Test("dotted buckets over https use path style")
    func dottedBucket() throws {
        let address = try endpoint(nil).address(bucket: "my.lake", key: "k")
        #expect(address.url == "https://s3.us-east-1.amazonaws.com/my.lake/k")
    }

    @Test("bad endpoints are rejected as invalid locations", arguments: ["127.0.0.1:9000", "ftp://x", "http://h:99999", "http://h/path"])
    func invalid(url: String) throws {
        let error = try #require(throws: FileIOError.self) { try endpoint(url) }
        #expect(error.code == .invalidLocation)
    }
}

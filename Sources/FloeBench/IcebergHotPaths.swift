import Foundation
import Iceberg

/// Internal hot paths that the benchmark package (`Benchmarks/HotPaths`) measures on their own,
/// reached with `@_spi(Benchmarks) import FloeBench` so that they stay out of the public API.
@_spi(Benchmarks) public enum IcebergHotPaths {
    /// Signs an S3 `PUT` of `key` in `bucket` with SigV4 — canonical request, string to sign and the
    /// HMAC key chain — as ``S3FileIO`` does for every upload; returns the `Authorization` header.
    public static func signS3Put(bucket: String, key: String, payloadSHA256: String, date: Date) -> String {
        let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE",
                                                            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                 region: "auto", service: "s3", pathMode: .s3, addsContentSHA256Header: true)
        let request = SigV4Signer.Request(method: "PUT", path: "/\(bucket)/" + SigV4Signer.encodeS3Path(key),
                                          headers: [("host", "example.r2.cloudflarestorage.com"),
                                                    ("content-type", "application/octet-stream")])
        return signer.sign(request, payload: .hash(payloadSHA256), date: date).authorization
    }

    /// The lowercase hex SHA-256 of an upload's body (signed along with the request).
    public static func hexSHA256(_ bytes: [UInt8]) -> String {
        SigV4Signer.hexSHA256(bytes)
    }

    /// Writes a v2 data manifest (Avro container, deflate) listing `files`; returns its size in bytes.
    public static func writeManifest(schema: Schema, spec: PartitionSpec, files: [DataFile], snapshotId: Int64) throws -> Int {
        try ManifestWriter(schema: schema, spec: spec)
            .write(files: files, snapshotId: snapshotId, syncMarker: Array(repeating: 7, count: 16)).bytes.count
    }
}

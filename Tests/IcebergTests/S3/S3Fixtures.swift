import Foundation

/// Files of the S3 tests under the test target's `Fixtures/` folder (`sigv4-test-suite/`, `s3-sigv4/`).
enum S3Fixtures {
    /// The nearest `Fixtures` folder above this file that holds `sigv4-test-suite`, so the tests find their data
    /// wherever the target keeps them (`Tests/<Target>/Fixtures`, with the tests in any subfolder).
    static let directory: URL = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("Fixtures")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("sigv4-test-suite").path) {
                return candidate
            }
            folder.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }()

    static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }

    static func bytes(_ relativePath: String) throws -> [UInt8] { Array(try Data(contentsOf: url(relativePath))) }

    static func text(_ relativePath: String) throws -> String { String(decoding: try bytes(relativePath), as: UTF8.self) }

    /// A UTC instant from `2015-08-30T12:36:00Z`.
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

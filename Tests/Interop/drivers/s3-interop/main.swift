import AsyncHTTPClient
import Foundation
import Iceberg
import Logging

// A small driver of S3FileIO for Tests/Interop/test_s3_fileio.py: one operation per run, configured by
// FLOE_S3_TEST_* variables, bytes through files. Exit 0 on success; on failure the FileIOError goes to
// stderr as one JSON line and the exit status is 3 for notFound, 2 otherwise.
//
//   FLOE_S3_TEST_ENDPOINT, FLOE_S3_TEST_REGION, FLOE_S3_TEST_ACCESS_KEY_ID, FLOE_S3_TEST_SECRET_ACCESS_KEY,
//   FLOE_S3_TEST_SESSION_TOKEN, FLOE_S3_TEST_PATH_STYLE (default true), FLOE_S3_TEST_LIST_PAGE_SIZE,
//   FLOE_S3_TEST_MULTIPART_THRESHOLD, FLOE_S3_TEST_PART_SIZE, FLOE_S3_TEST_MAX_CONCURRENT_PARTS,
//   FLOE_S3_TEST_RETRY_ATTEMPTS, FLOE_S3_TEST_RETRY_BASE_MS, FLOE_S3_TEST_TIMEOUT_MS, FLOE_S3_TEST_UNSIGNED,
//   FLOE_S3_TEST_LOG_LEVEL (default warning).
//
//   put LOCATION FILE [--if-absent] | get LOCATION FILE | get-range LOCATION START END FILE | head LOCATION
//   exists LOCATION | delete LOCATION | list PREFIX | put-many PREFIX COUNT

let environment = ProcessInfo.processInfo.environment
let arguments = Array(CommandLine.arguments.dropFirst())

func setting(_ name: String) -> String? { environment["FLOE_S3_TEST_" + name].flatMap { $0.isEmpty ? nil : $0 } }

func fail(_ message: String, status: Int32 = 64) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(status)
}

func configuration() -> S3Configuration {
    guard let id = setting("ACCESS_KEY_ID"), let secret = setting("SECRET_ACCESS_KEY") else {
        fail("FLOE_S3_TEST_ACCESS_KEY_ID and FLOE_S3_TEST_SECRET_ACCESS_KEY are required")
    }
    let credentials = S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: setting("SESSION_TOKEN"))
    var configuration = S3Configuration(endpoint: setting("ENDPOINT"), region: setting("REGION") ?? "us-east-1",
                                        pathStyle: setting("PATH_STYLE") != "false",
                                        credentials: S3CredentialStore(credentials))
    if let value = setting("LIST_PAGE_SIZE").flatMap(Int.init) { configuration.listPageSize = value }
    if let value = setting("MULTIPART_THRESHOLD").flatMap(Int.init) { configuration.multipart.threshold = value }
    if let value = setting("PART_SIZE").flatMap(Int.init) { configuration.multipart.partSize = value }
    if let value = setting("MAX_CONCURRENT_PARTS").flatMap(Int.init) { configuration.multipart.maxConcurrentParts = value }
    if let value = setting("RETRY_ATTEMPTS").flatMap(Int.init) { configuration.retry.maxAttempts = value }
    if let value = setting("RETRY_BASE_MS").flatMap(Int64.init) { configuration.retry.baseDelay = .milliseconds(value) }
    if let value = setting("TIMEOUT_MS").flatMap(Int64.init) { configuration.requestTimeout = .milliseconds(value) }
    if setting("UNSIGNED") == "true" { configuration.signsPayload = false }
    return configuration
}

func report(_ error: any Error) -> Never {
    guard let error = error as? FileIOError else { fail("error: \(error)", status: 2) }
    let object: [String: Any] = [
        "code": error.code.description, "message": error.message, "context": error.context,
        "retryable": error.isRetryable, "description": error.description,
    ]
    let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        .map { String(decoding: $0, as: UTF8.self) } ?? error.description
    fail(json, status: error.code == .notFound ? 3 : 2)
}

func run(_ io: S3FileIO) async throws {
    func argument(_ index: Int) -> String {
        guard index < arguments.count else { fail("missing argument \(index) for \(arguments.first ?? "")") }
        return arguments[index]
    }
    func readFile(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
    func writeFile(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

    switch argument(0) {
    case "put":
        try await io.write(try readFile(argument(2)), to: argument(1), ifAbsent: arguments.contains("--if-absent"))
    case "get":
        try writeFile(try await io.read(argument(1)), argument(2))
    case "get-range":
        guard let start = Int(argument(2)), let end = Int(argument(3)), start <= end else { fail("bad range") }
        let chunk = try await io.read(argument(1), range: start..<end)
        // A server that ignores Range sends the whole object: the range is cut from it here.
        let bytes = chunk.isWhole ? Array(chunk.bytes[min(start, chunk.bytes.count)..<min(end, chunk.bytes.count)]) : chunk.bytes
        try writeFile(bytes, argument(4))
    case "head":
        guard let info = try await io.head(argument(1)) else { fail("{\"code\": \"notFound\"}", status: 3) }
        print("{\"size\": \(info.size), \"etag\": \"\(info.eTag?.replacingOccurrences(of: "\"", with: "") ?? "")\"}")
    case "exists":
        print(try await io.exists(argument(1)))
    case "delete":
        try await io.delete(argument(1))
    case "list":
        for location in try await io.list(prefix: argument(1)) { print(location) }
    case "put-many":
        guard let count = Int(argument(2)) else { fail("bad count") }
        let prefix = argument(1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= 16 { try await group.next() }
                group.addTask {
                    let name = String(format: "%05d", index)
                    try await io.write(Array("object \(name)".utf8), to: prefix + name)
                }
            }
            try await group.waitForAll()
        }
    default:
        fail("unknown command \(argument(0))")
    }
}

let level = setting("LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .warning
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = level
    return handler
}
let logger = Logger(label: "floe.s3-interop")
var clientConfiguration = HTTPClient.Configuration()
clientConfiguration.timeout.connect = .seconds(5)
let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
var failure: (any Error)?
do {
    let io = try S3FileIO(configuration: configuration(), httpClient: client, logger: logger)
    try await run(io)
} catch {
    failure = error
}
try await client.shutdown().get()
if let failure { report(failure) }

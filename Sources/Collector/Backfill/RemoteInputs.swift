import Buffer
import Foundation
import Iceberg
import FloeSupport

/// Backfill inputs: local files, directories and globs, and `s3://bucket/prefix` (S3 or R2).
///
/// Objects under an S3 prefix are listed through the deployment's FileIO (same credentials as the
/// warehouse) and downloaded one at a time, when their turn comes, into `{data-dir}/backfill-cache`
/// (keeping the `.gz`/`.zst` suffix), ``downloadChunkBytes`` per ranged GET so that memory holds one
/// chunk whatever the object's size, then read like local files. Their checkpoint identity is the
/// object's location, size and last-modified time.
final class RemoteInputs: @unchecked Sendable {
    // @unchecked: used only from the one task that runs the backfill.
    let files: [String]
    private let remote: [String: StoredFile]
    private let fileIO: StorageRouter
    private let cache: URL
    private var downloaded: [String: String] = [:]

    private init(files: [String], remote: [String: StoredFile], fileIO: StorageRouter, cache: URL) {
        self.files = files
        self.remote = remote
        self.fileIO = fileIO
        self.cache = cache
    }

    /// `dataDirectory` (Floe's own) is left out of directories and globs (``InputFiles``), and the rejects file
    /// `leavingOut` is no input at all (read, it would add its own lines to itself on every run). The S3 objects among
    /// `pending` (a pending unit's inputs) are known too, to be read again, without being inputs of the run.
    static func resolve(_ arguments: [String], pending: [String] = [], leavingOut rejectsPath: String? = nil,
                        fileIO: StorageRouter, cache: URL, dataDirectory: String) async throws -> RemoteInputs {
        let local = arguments.filter { !$0.hasPrefix("s3://") && !$0.hasPrefix("s3a://") }
        var files = try InputFiles.expand(local, excluding: dataDirectory)
        if let rejectsPath {
            let rejects = URL(fileURLWithPath: rejectsPath).standardizedFileURL.resolvingSymlinksInPath().path
            files.removeAll { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path == rejects }
        }
        var remote: [String: StoredFile] = [:]
        for prefix in arguments where prefix.hasPrefix("s3://") || prefix.hasPrefix("s3a://") {
            let objects = try await fileIO.listFiles(prefix: prefix).filter { InputFiles.isInput($0.location) }
            if objects.isEmpty { throw InputFiles.Missing(description: "no input object under \(prefix) (\(InputFiles.namesHelp))") }
            for object in objects where remote[object.location] == nil {
                remote[object.location] = object
                files.append(object.location)
            }
        }
        for path in Set(pending) where remote[path] == nil && (path.hasPrefix("s3://") || path.hasPrefix("s3a://")) {
            if let object = try await fileIO.listFiles(prefix: path).first(where: { $0.location == path }) {
                remote[path] = object
            }
        }
        return RemoteInputs(files: files, remote: remote, fileIO: fileIO, cache: cache)
    }

    func identity(of path: String) -> BackfillCheckpoints.FileState? {
        if let object = remote[path] {
            return BackfillCheckpoints.FileState(path: path, size: object.size ?? 0,
                                                 modified: object.lastModified.map(WallClock.microsTruncated) ?? 0)
        }
        return BackfillRunner.identity(of: path)
    }

    /// Whether `path` is an S3 object (its progress is not fingerprinted: it is not touched or appended to in place).
    func isRemote(_ path: String) -> Bool {
        remote[path] != nil
    }

    /// A local path to read `path` from: itself, or a downloaded copy of the S3 object.
    func localPath(for path: String) async throws -> String {
        guard remote[path] != nil else { return path }
        if let done = downloaded[path] { return done }
        for old in downloaded.values { try? FileManager.default.removeItem(atPath: old) }
        downloaded = [:]
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        let name = (path.split(separator: "/").last.map(String.init) ?? "object").replacingOccurrences(of: " ", with: "_")
        let target = cache.appendingPathComponent("\(UUID().uuidString.prefix(8))-\(name)")
        do {
            if let size = remote[path]?.size {
                let fileIO = self.fileIO
                try await Self.download(path, size: size, to: target, chunkBytes: Self.downloadChunkBytes) {
                    try await fileIO.read(path, range: $0, ifMatch: $1)
                }
            } else {
                try Data(try await fileIO.read(path)).write(to: target)
            }
        } catch {
            try? FileManager.default.removeItem(at: target)
            throw error
        }
        downloaded[path] = target.path
        return target.path
    }

    /// Bytes fetched per ranged GET of a download.
    static let downloadChunkBytes = 64 << 20

    /// Writes the object at `location`, `size` bytes when it was listed, into `target`, `chunkBytes` at a time
    /// through `read` (a range and the ETag the first chunk gave in, that part of the object out).
    ///
    /// - Throws: ``Iceberg/FileIOError`` `io` when the object is no longer `size` bytes or changed between chunks
    ///   (its checkpoint identity would no longer match what was read); what `read` and the file system throw.
    static func download(_ location: String, size: Int64, to target: URL, chunkBytes: Int,
                         read: (Range<Int>, String?) async throws -> ObjectChunk) async throws {
        guard FileManager.default.createFile(atPath: target.path, contents: nil) else {
            throw FileIOError(.io, "cannot create the download file", context: ["path": target.path])
        }
        let handle = try FileHandle(forWritingTo: target)
        defer { try? handle.close() }
        func changed(_ detail: String) -> FileIOError {
            FileIOError(.io, "the object changed since it was listed: \(detail)", context: ["location": location])
        }
        var offset: Int64 = 0
        var eTag: String?
        while offset < size {
            let start = Int(offset)
            let chunk = try await read(start..<start + chunkBytes, eTag)
            if let objectSize = chunk.objectSize, objectSize != size { throw changed("\(objectSize) bytes, listed \(size)") }
            if let previous = eTag, let now = chunk.eTag, previous != now { throw changed("ETag \(now), was \(previous)") }
            // A weak ETag (`W/"…"`) never matches strongly: If-Match would refuse every later chunk.
            if eTag == nil, let first = chunk.eTag, !first.hasPrefix("W/") { eTag = first }
            if chunk.isWhole {
                // A store that ignores ranges sent everything at once.
                guard Int64(chunk.bytes.count) == size else { throw changed("\(chunk.bytes.count) bytes, listed \(size)") }
                try handle.truncate(atOffset: 0)
                try handle.write(contentsOf: chunk.bytes)
                return
            }
            guard !chunk.bytes.isEmpty else { throw changed("it ends at byte \(offset), listed \(size)") }
            try handle.write(contentsOf: chunk.bytes)
            offset += Int64(chunk.bytes.count)
        }
        guard offset == size else { throw changed("\(offset) bytes read, listed \(size)") }
    }

    func removeCache() {
        try? FileManager.default.removeItem(at: cache)
    }
}

import FloeSupport
import Foundation
import NIOPosix

#if canImport(Glibc)
import CLinux
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``FileIO`` on the local file system, for `file:///abs/path` locations and plain absolute paths.
///
/// `write` is atomic and durable: it writes a temporary file in the same directory, fsyncs it, renames it over
/// the target and fsyncs the directory, creating missing parent directories first. `writeUnsynced` writes in
/// place and `persist` syncs the file system once for a whole batch of them (data files before a commit). Writes run on NIO's
/// blocking-I/O thread pool, so that an fsync never holds one of the few threads async tasks run on;
/// reads (small metadata files) block the calling thread.
public struct LocalFileIO: FileIO {
    /// Whether `writeUnsynced` starts each file's writeback at once (Linux).
    public let startsWritebackEarly: Bool

    /// Creates a local FileIO. `startsWritebackEarly`: start writing each unsynced file back as soon as it
    /// is written, so that ``persist(_:)`` finds little left; right for a backfill, whose cores are busy
    /// encoding meanwhile, wrong for a server, whose early writeback competed with the buffer's fsyncs
    /// (Benchmarks/README.md, session 10).
    public init(startsWritebackEarly: Bool = false) {
        self.startsWritebackEarly = startsWritebackEarly
    }

    /// The file system path of a `file:` URI or absolute path: the location's path as written, escapes and all.
    ///
    /// Iceberg readers open a location's path literally (pyiceberg, DuckDB, Hadoop's `Path`), so a partition
    /// directory written `type=a%20b` in a manifest is `type=a%20b` on disk too.
    ///
    /// - Throws: ``FileIOError`` `invalidLocation` for other schemes, relative paths, a zero byte or a `..` segment.
    public static func path(of location: String) throws -> String {
        var path = location
        if path.hasPrefix("file://") {
            path.removeFirst("file://".count)
        } else if path.hasPrefix("file:") {
            path.removeFirst("file:".count)
        }
        guard path.hasPrefix("/") else {
            throw FileIOError(.invalidLocation, "location is not a local absolute path", context: ["location": location])
        }
        guard staysInItsDirectory(path) else {
            throw FileIOError(.invalidLocation, "location leads out of its directory", context: ["location": location])
        }
        return path
    }

    /// No zero byte and no `..` segment: the path names a file under the directory it starts with.
    private static func staysInItsDirectory(_ path: String) -> Bool {
        !path.utf8.contains(0) && !path.split(separator: "/").contains("..")
    }

    /// Where Floe before this form wrote the file at `location`: its path percent-decoded (`type=a b` for
    /// `type=a%20b`). Reads and `exists` fall back to it, so that tables written then stay readable to Floe,
    /// and orphan removal links such files to their literal paths (``restoreLegacyName(of:)``), where other
    /// readers look; nil when it is the same path or not a safe one.
    static func legacyPath(of location: String) -> String? {
        guard let path = try? Self.path(of: location), path.contains("%"),
              let decoded = path.removingPercentEncoding, decoded != path, staysInItsDirectory(decoded) else { return nil }
        return decoded
    }

    private static func systemError(_ operation: String, _ location: String, _ code: Int32 = errno) -> FileIOError {
        FileIOError(code == ENOENT ? .notFound : .io, "\(operation) failed",
                    context: ["location": location, "errno": String(code)])
    }

    public func write(_ bytes: [UInt8], to location: String) async throws {
        try await NIOThreadPool.singleton.runIfActive { try Self.writeBlocking(bytes, to: location) }
    }

    /// Writes the file in place, with no fsync (with `startsWritebackEarly`, on Linux its writeback starts at
    /// once); ``persist(_:)`` makes it durable.
    public func writeUnsynced(_ bytes: [UInt8], to location: String) async throws {
        let early = startsWritebackEarly
        try await NIOThreadPool.singleton.runIfActive {
            let path = try Self.path(of: location)
            let fd = try Self.create(path, flags: O_TRUNC, location: location)
            defer { close(fd) }
            try Self.writeAll(bytes, to: fd, location: location)
            #if os(Linux)
            // Start writing the file back now (SYNC_FILE_RANGE_WRITE, no waiting), while other files are
            // still being encoded, so that `persist` finds little left to flush: its `syncfs` took about
            // 20 ms after a 300k-event backfill, 3 ms with this. Durability still comes from `persist`.
            if early { _ = sync_file_range(fd, 0, 0, Self.startWriteback) }
            #endif
        }
    }

    /// Syncs the file systems that hold `locations`, once each (`syncfs`): one flush of the disk for
    /// a whole batch of files instead of two per file. Elsewhere than Linux, each file and its directory.
    public func persist(_ locations: [String]) async throws {
        guard !locations.isEmpty else { return }
        try await NIOThreadPool.singleton.runIfActive {
            var directories = Set<String>()
            for location in locations {
                directories.insert((try Self.path(of: location) as NSString).deletingLastPathComponent)
            }
            #if os(Linux)
            var synced = Set<UInt64>()
            for directory in directories.sorted() {
                let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0 else { throw Self.systemError("open directory", directory) }
                defer { close(fd) }
                var info = stat()
                guard fstat(fd, &info) == 0 else { throw Self.systemError("fstat", directory) }
                guard synced.insert(UInt64(info.st_dev)).inserted else { continue }
                guard syncfs(fd) == 0 else { throw Self.systemError("syncfs", directory) }
            }
            #else
            for location in locations { try Self.sync(try Self.path(of: location), location: location) }
            for directory in directories.sorted() { try Self.sync(directory, location: directory) }
            #endif
        }
    }

    private static func writeBlocking(_ bytes: [UInt8], to location: String) throws {
        let path = try Self.path(of: location)
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = directory + "/." + name + ".tmp-" + UUID().uuidString.lowercased()
        let fd = try create(temporary, flags: O_EXCL, location: location)
        var failure: (any Error)?
        do {
            try writeAll(bytes, to: fd, location: location)
            if fsync(fd) != 0 { failure = Self.systemError("fsync", location) }
        } catch {
            failure = error
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let error = Self.systemError("rename", location)
            unlink(temporary)
            throw error
        }
        try sync(directory, location: location)
    }

    /// Opens `path` for writing, creating it (and, when missing, its parent directories).
    private static func create(_ path: String, flags: Int32, location: String) throws -> Int32 {
        let mode = O_WRONLY | O_CREAT | O_CLOEXEC | flags
        var fd = open(path, mode, 0o644)
        if fd < 0, errno == ENOENT {
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
            } catch {
                throw FileIOError(.io, "creating the directory failed", context: ["location": location])
            }
            fd = open(path, mode, 0o644)
        }
        guard fd >= 0 else { throw Self.systemError("open", location) }
        return fd
    }

    /// `SYNC_FILE_RANGE_WRITE`: start writeback of dirty pages without waiting for it.
    private static let startWriteback: UInt32 = 2

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, location: String) throws {
        var written = 0
        let failure: FileIOError? = bytes.withUnsafeBytes { buffer -> FileIOError? in
            while written < buffer.count {
                let result = Foundation.write(fd, buffer.baseAddress.map { $0 + written }, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return Self.systemError("write", location)
                }
                written += result
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// fsyncs a file or directory.
    private static func sync(_ path: String, location: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.systemError("open directory", location) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Self.systemError("fsync", location) }
    }

    public func read(_ location: String) async throws -> [UInt8] {
        var path = try Self.path(of: location)
        var opened = FileHandle(forReadingAtPath: path)
        if opened == nil, let legacy = Self.legacyPath(of: location), let handle = FileHandle(forReadingAtPath: legacy) {
            path = legacy
            opened = handle
        }
        guard let handle = opened else {
            throw FileIOError(FileManager.default.fileExists(atPath: path) ? .io : .notFound, "open failed",
                              context: ["location": location])
        }
        defer { try? handle.close() }
        do {
            return Array(try handle.readToEnd() ?? Data())
        } catch {
            throw FileIOError(.io, "read failed", context: ["location": location])
        }
    }

    public func exists(_ location: String) async throws -> Bool {
        if FileManager.default.fileExists(atPath: try Self.path(of: location)) { return true }
        return Self.legacyPath(of: location).map { FileManager.default.fileExists(atPath: $0) } ?? false
    }

    /// Deletes the file at the location's literal path only (never its ``legacyPath(of:)``: a listed orphan's
    /// decoded name may be another file); a legacy file whose snapshot expired is an orphan for the next removal.
    public func delete(_ location: String) async throws {
        let path = try Self.path(of: location)
        if unlink(path) != 0, errno != ENOENT { throw Self.systemError("unlink", location) }
    }

    /// Hard-links the file at the location's ``legacyPath(of:)`` to its literal path when only the former
    /// exists, creating the directory and syncing it. A link, not a rename: a reader that has just looked for
    /// the literal path still finds the legacy one, and each name goes when it is no longer referenced.
    public func restoreLegacyName(of location: String) async throws -> Bool {
        guard let legacy = Self.legacyPath(of: location) else { return false }
        let path = try Self.path(of: location)
        return try await NIOThreadPool.singleton.runIfActive {
            guard access(path, F_OK) != 0, access(legacy, F_OK) == 0 else { return false }
            let directory = (path as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw FileIOError(.io, "creating the directory failed", context: ["location": location])
            }
            guard link(legacy, path) == 0 else {
                if errno == EEXIST { return false }
                throw Self.systemError("link", location)
            }
            try Self.sync(directory, location: location)
            return true
        }
    }

    public func listFiles(prefix: String) async throws -> [StoredFile] {
        try await list(prefix: prefix).compactMap { location -> StoredFile? in
            // A file removed since the listing is simply left out.
            guard let status = FileStatus(path: try Self.path(of: location)) else { return nil }
            return StoredFile(location: location, size: status.size, lastModified: status.modified)
        }
    }

    public func list(prefix: String) async throws -> [String] {
        let path = try Self.path(of: prefix)
        // Listed locations are the prefix's scheme and the path as it is on disk.
        let locationPrefix = prefix.hasPrefix("file://") ? "file://" : prefix.hasPrefix("file:") ? "file:" : ""
        let root = path.hasSuffix("/") ? String(path.dropLast()) : (path as NSString).deletingLastPathComponent
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var result: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let full = root + "/" + relative
            var isDirectory: ObjCBool = false
            guard full.hasPrefix(path), FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory),
                  !isDirectory.boolValue else { continue }
            result.append(locationPrefix + full)
        }
        return result.sorted()
    }
}

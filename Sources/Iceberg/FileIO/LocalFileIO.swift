import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``FileIO`` on the local file system, for `file:///abs/path` locations and plain absolute paths.
///
/// `write` is atomic and durable: it writes a temporary file in the same directory, fsyncs it, renames it over
/// the target and fsyncs the directory, creating missing parent directories first. Writes run on NIO's
/// blocking-I/O thread pool, so that an fsync never holds one of the few threads async tasks run on;
/// reads (small metadata files) block the calling thread.
public struct LocalFileIO: FileIO {
    /// Creates a local FileIO.
    public init() {}

    /// The file system path of a `file:` URI or absolute path.
    ///
    /// - Throws: ``FileIOError`` `invalidLocation` for other schemes or relative paths.
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
        return path.removingPercentEncoding ?? path
    }

    private static func systemError(_ operation: String, _ location: String, _ code: Int32 = errno) -> FileIOError {
        FileIOError(code == ENOENT ? .notFound : .io, "\(operation) failed",
                    context: ["location": location, "errno": String(code)])
    }

    public func write(_ bytes: [UInt8], to location: String) async throws {
        try await NIOThreadPool.singleton.runIfActive { try Self.writeBlocking(bytes, to: location) }
    }

    private static func writeBlocking(_ bytes: [UInt8], to location: String) throws {
        let path = try Self.path(of: location)
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FileIOError(.io, "creating the directory failed", context: ["location": location])
        }
        let name = (path as NSString).lastPathComponent
        let temporary = directory + "/." + name + ".tmp-" + UUID().uuidString.lowercased()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.systemError("open", location) }
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
            return fsync(fd) == 0 ? nil : Self.systemError("fsync", location)
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
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw Self.systemError("open directory", location) }
        defer { close(directoryFD) }
        guard fsync(directoryFD) == 0 else { throw Self.systemError("fsync directory", location) }
    }

    public func read(_ location: String) async throws -> [UInt8] {
        let path = try Self.path(of: location)
        guard let handle = FileHandle(forReadingAtPath: path) else {
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
        FileManager.default.fileExists(atPath: try Self.path(of: location))
    }

    public func delete(_ location: String) async throws {
        let path = try Self.path(of: location)
        if unlink(path) != 0, errno != ENOENT { throw Self.systemError("unlink", location) }
    }

    public func listFiles(prefix: String) async throws -> [StoredFile] {
        try await list(prefix: prefix).compactMap { location -> StoredFile? in
            var info = stat()
            // A file removed since the listing is simply left out.
            guard stat(try Self.path(of: location), &info) == 0 else { return nil }
            #if canImport(Darwin)
            let seconds = Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
            #else
            let seconds = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            #endif
            return StoredFile(location: location, size: Int64(info.st_size),
                              lastModified: Date(timeIntervalSince1970: seconds))
        }
    }

    public func list(prefix: String) async throws -> [String] {
        let path = try Self.path(of: prefix)
        let locationPrefix = String(prefix.dropLast(path.count))
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

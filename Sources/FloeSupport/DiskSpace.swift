#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `statvfs(2)` says of the file system a path is on.
package enum DiskSpace {
    /// The bytes an unprivileged process may still write on the file system holding `path` (nil: it cannot be asked).
    package static func available(at path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}

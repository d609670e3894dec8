import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat(2)` says of a file, through symbolic links: its size and modification time, and whether it is a
/// regular file (not a pipe, device or directory).
package struct FileStatus: Sendable {
    package var size: Int64
    package var modified: Date
    package var isRegularFile: Bool

    /// The status of the file at `path` (nil when it cannot be read: gone, no permission).
    package init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let seconds = Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
        #else
        let seconds = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        #endif
        size = Int64(info.st_size)
        modified = Date(timeIntervalSince1970: seconds)
        isRegularFile = info.st_mode & S_IFMT == S_IFREG
    }
}

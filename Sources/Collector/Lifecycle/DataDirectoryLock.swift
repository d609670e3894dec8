import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One process at a time for a part of a data directory: an exclusive `flock` on a lock file, held while the
/// process uses that part and released by the kernel when the process ends, however it ends.
///
/// - ``buffer``: `floe serve` and `floe flush` on the buffer. Two processes flushing one buffer would each commit
///   its rows (every event twice), and rows one of them commits stay counted in the other's memory.
/// - ``backfill``: `floe backfill`. Two runs over the same input would both find it not yet loaded and both
///   commit it. A backfill does not use the buffer, so it runs beside `floe serve`.
package final class DataDirectoryLock: Sendable {
    /// What a lock guards: its file name and who holds it, for the message when it is taken.
    package struct Part: Sendable {
        var file: String
        var holders: String
        var advice: String

        package static let buffer = Part(file: "buffer.lock", holders: "floe serve or floe flush",
                                         advice: "stop it first, or give this process a data directory of its own")
        package static let backfill = Part(file: "backfill.lock", holders: "floe backfill", advice: "wait for it to finish")
    }

    private let descriptor: Int32

    /// Another process holds the lock.
    struct Held: Error, CustomStringConvertible {
        var path: String
        var part: Part
        var description: String {
            "another \(part.holders) is using this data directory (it holds \(path)); \(part.advice)"
        }
    }

    /// The lock file cannot be opened or locked.
    struct Unavailable: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot take the lock \(path): \(reason)" }
    }

    /// Takes the lock of `part` in `directory`, creating its file; throws ``Held`` at once when another process
    /// has it.
    package init(_ part: Part, in directory: URL) throws {
        let path = directory.appendingPathComponent(part.file).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Unavailable(path: path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw Held(path: path, part: part) }
            throw Unavailable(path: path, reason: String(cString: strerror(code)))
        }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One backfill at a time per data directory: an exclusive `flock` on `{data-dir}/backfill.lock`, held for the
/// run and released by the kernel when the process ends however it ends. Two runs over the same input would
/// otherwise both find it not yet loaded and both commit it.
final class BackfillLock {
    private let descriptor: Int32

    /// Another run holds the lock.
    struct Held: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "another floe backfill is running on this data directory (it holds \(path)); wait for it to finish"
        }
    }

    /// The lock file cannot be opened or locked.
    struct Unavailable: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot take the backfill lock \(path): \(reason)" }
    }

    /// Takes the lock at `path`, creating the file; throws ``Held`` at once when another process has it.
    init(path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Unavailable(path: path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw Held(path: path) }
            throw Unavailable(path: path, reason: String(cString: strerror(code)))
        }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

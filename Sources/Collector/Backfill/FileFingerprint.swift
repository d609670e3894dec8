import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A digest of a local input file's first bytes (SHA-256, hex), by which a backfill recognises a file whose
/// size or modification time changed since it was loaded: touched (same bytes) or appended to (same first bytes)
/// (`BackfillCheckpoints`).
enum FileFingerprint {
    /// The digest of the first `length` bytes of the file at `path`; nil when it cannot be read or is shorter, or
    /// is not a regular file (a pipe's bytes are read once, by the backfill).
    static func of(_ path: String, length: Int64) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        var left = length
        while left > 0 {
            guard let chunk = try? handle.read(upToCount: Int(min(left, 1 << 20))), !chunk.isEmpty else { return nil }
            hasher.update(data: chunk)
            left -= Int64(chunk.count)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A digest of what a backfill loaded from a local input file, by which it recognises the file when its size or
/// modification time changed since: touched (same bytes) or appended to (same first bytes)
/// (`BackfillCheckpoints`). SHA-256 of the length and of a sample of the loaded bytes, the first MiB and the last
/// 64 KiB, so that recognising a file costs two short reads whatever its size; a file rewritten in place with the
/// same length, start and end is taken for the same file.
enum FileFingerprint {
    static let head = 1 << 20
    static let tail = 64 << 10

    /// The digest of the first `length` bytes of the file at `path`; nil when it cannot be read or is shorter, or
    /// is not a regular file (a pipe's bytes are read once, by the backfill).
    static func of(_ path: String, length: Int64) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int64(info.st_size) >= length,
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        hasher.update(data: Data(String(length).utf8))
        let headCount = Int(min(length, Int64(head)))
        let tailStart = max(Int64(headCount), length - Int64(tail))
        guard let first = try? handle.read(upToCount: headCount), first.count == headCount else { return nil }
        hasher.update(data: first)
        if tailStart < length {
            guard (try? handle.seek(toOffset: UInt64(tailStart))) != nil,
                  let last = try? handle.read(upToCount: Int(length - tailStart)), last.count == Int(length - tailStart)
            else { return nil }
            hasher.update(data: last)
        }
        return hex(hasher.finalize())
    }

    /// The digest of the first `length` bytes of the file at `path` (at most `BackfillCheckpoints.headBytes`), by which
    /// its progress is found under another name; nil when it cannot be read or is shorter, or is not a regular file.
    static func head(of path: String, length: Int64) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int64(info.st_size) >= length,
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let first = try? handle.read(upToCount: Int(length)) ?? Data(), first.count == Int(length) else { return nil }
        return hex(SHA256.hash(data: first))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

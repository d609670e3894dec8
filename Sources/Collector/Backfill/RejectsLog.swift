import Foundation
import FloeSupport

/// The rejects file of a backfill: one JSON object per rejected line, `{"file","line","reasons"}`.
///
/// Appended to, never truncated: a run that resumes after a crash keeps what the runs before it found
/// (a unit redone after a crash may list its rejects twice; none is lost).
struct RejectsLog {
    let path: String
    private var handle: FileHandle?

    init(path: String) {
        self.path = path
    }

    /// The rejects path cannot be opened for appending (a missing directory, a directory).
    struct Unwritable: Error, CustomStringConvertible {
        var path: String
        var description: String { "cannot write the rejects file \(path): its directory is missing, or it is not a writable file" }
    }

    /// Opens the file for appending, creating it; a run calls it before any work, so that a path it cannot
    /// write fails the run at once.
    mutating func open() throws {
        guard handle == nil else { return }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard !isDirectory.boolValue, let opened = FileHandle(forWritingAtPath: path) else { throw Unwritable(path: path) }
        try opened.seekToEnd()
        handle = opened
    }

    mutating func write(file: String, line: Int64, reasons: [String]) throws {
        try open()
        let text = "{\"file\":\(JSONString.quoted(file)),\"line\":\(line),\"reasons\":["
            + reasons.map(JSONString.quoted).joined(separator: ",") + "]}\n"
        try handle?.write(contentsOf: Data(text.utf8))
    }

    func close() throws {
        try handle?.close()
    }
}

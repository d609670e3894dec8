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

    mutating func write(file: String, line: Int64, reasons: [String]) throws {
        if handle == nil {
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            handle = FileHandle(forWritingAtPath: path)
            try handle?.seekToEnd()
        }
        let text = "{\"file\":\(JSONString.quoted(file)),\"line\":\(line),\"reasons\":["
            + reasons.map(JSONString.quoted).joined(separator: ",") + "]}\n"
        try handle?.write(contentsOf: Data(text.utf8))
    }

    func close() throws {
        try handle?.close()
    }
}

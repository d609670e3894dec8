import Foundation
import FloeSupport
#if canImport(Glibc)
import Glibc
#endif

/// Expands backfill arguments into input files: files as given, directories recursively
/// (`.ndjson`, `.jsonl`, `.json`, and those with `.gz`/`.zst`), and shell globs, each file once. A directory found on the way that
/// is Floe's own data directory is left out: its rejects file, metadata and download cache are no input.
enum InputFiles {
    static let extensions = [".ndjson", ".jsonl", ".json"]

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// Whether an object or file name looks like an input, in any letter case: `.ndjson`, `.jsonl`, `.json`, each
    /// optionally compressed (`.gz`, `.zst`, `.zstd`), or a Segment S3 archive object (`{ms}.{uuid}.gz`, no `.json`).
    static func isInput(_ path: String) -> Bool {
        let name = (path.split(separator: "/").last.map(String.init) ?? path).lowercased()
        let compression = InputLineReader.Compression(path: name)
        let base = String(name.dropLast(compression.suffixLength(of: name)))
        return extensions.contains { base.hasSuffix($0) } || (compression == .gzip && isSegmentArchiveName(base))
    }

    /// Segment's S3 destination names its gzip NDJSON objects `{received ms}.{uuid}.gz`
    /// (`segment-logs/{source}/{day}/1587495600000.3c7dbe6b-e9d9-4b25-8ccd-9b7aa6c51b8a.gz`).
    private static func isSegmentArchiveName(_ base: String) -> Bool {
        let parts = base.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let millis = parts.first, let id = parts.last else { return false }
        return !millis.isEmpty && millis.allSatisfy(\.isASCII) && millis.allSatisfy(\.isNumber)
            && !id.isEmpty && id.allSatisfy { $0 == "-" || $0.isHexDigit }
    }

    /// A directory to leave out, known by its path as given and by its path with symbolic links resolved.
    struct Excluded {
        var path: String
        var resolved: String

        init(_ path: String) {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            self.path = url.path
            resolved = url.resolvingSymlinksInPath().path
        }

        /// Whether `path` is the directory or lies inside it.
        func contains(_ path: String) -> Bool {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            return Self.within(url.path, self.path) || Self.within(url.resolvingSymlinksInPath().path, resolved)
        }

        private static func within(_ path: String, _ directory: String) -> Bool {
            path == directory || path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
        }
    }

    /// `dataDirectory` is left out where a directory or a glob would take it in; named on its own, it is read.
    static func expand(_ arguments: [String], excluding dataDirectory: String? = nil) throws -> [String] {
        let excluded = dataDirectory.map(Excluded.init)
        var result: [String] = []
        for argument in arguments {
            // A name that exists as given is that file, even with glob characters in it (`export[1].ndjson`).
            if argument.contains(where: { "*?[".contains($0) }), !FileManager.default.fileExists(atPath: argument) {
                let matches = glob(argument)
                if matches.isEmpty { throw Missing(description: "no file matches \(argument)") }
                var found: [String] = []
                for match in matches where excluded?.contains(match) != true {
                    found += try expandPath(match, excluding: excluded)
                }
                // A directory the glob took in may hold nothing to read; the glob as a whole must.
                if found.isEmpty { throw Missing(description: "no input file matches \(argument) (\(namesHelp))") }
                result += found
            } else {
                let found = try expandPath(argument, excluding: excluded)
                // As a glob that matches nothing and an S3 prefix without inputs: a run that would read nothing says so.
                if found.isEmpty { throw Missing(description: "no input file under \(argument) (\(namesHelp))") }
                result += found
            }
        }
        // One file named twice (again, through a symbolic link, or a hard link) is read once: twice would load its
        // events twice in one run.
        var seen = Set<InputIdentity>()
        return result.filter { seen.insert(InputIdentity(path: $0)).inserted }
    }

    /// A file's device and inode (``FloeSupport/FileIdentity``), or its path where it cannot be stat'ed (it is then
    /// reported missing later).
    private enum InputIdentity: Hashable {
        case file(FileIdentity)
        case path(String)

        init(path: String) {
            self = FileIdentity(path: path).map(InputIdentity.file) ?? .path(path)
        }
    }

    private static func expandPath(_ path: String, excluding excluded: Excluded?) throws -> [String] {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw Missing(description: "no such file or directory: \(path)")
        }
        guard isDirectory.boolValue else { return [absolute] }
        let enumerator = FileManager.default.enumerator(atPath: absolute)
        var files: [String] = []
        // Entries are compared only when named as the directory is, given or resolved (resolving every path would
        // cost a system call a file).
        let names = excluded.map { [URL(fileURLWithPath: $0.path).lastPathComponent,
                                    URL(fileURLWithPath: $0.resolved).lastPathComponent] } ?? []
        while let relative = enumerator?.nextObject() as? String {
            if let excluded, names.contains(where: { relative == $0 || relative.hasSuffix("/" + $0) }),
               excluded.contains(absolute + "/" + relative) {
                enumerator?.skipDescendants()
            } else if isInput(relative) {
                files.append(absolute + "/" + relative)
            }
        }
        return files.sorted()
    }

    /// The names read from a directory or an S3 prefix, for messages.
    static let namesHelp = ".ndjson, .jsonl or .json, plain, .gz or .zst, or Segment's {ms}.{uuid}.gz"

    private static func glob(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard Glibc.glob(pattern, 0, nil, &matches) == 0 else { return [] }
        var result: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            if let path = matches.gl_pathv[index] { result.append(String(cString: path)) }
        }
        return result.sorted()
    }
}

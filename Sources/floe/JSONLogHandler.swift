import Foundation
import Logging
import FloeSupport

/// A swift-log handler writing one JSON object per line to standard error (`log_format: json`).
///
/// Fields: `ts` (ISO 8601 UTC), `level`, `label`, `msg`, `source`, and the metadata as strings.
/// Messages are fixed phrases and metadata never carries event payloads or secrets.
struct JSONLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let label: String

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", Date().ISO8601Format(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))),
            ("level", event.level.rawValue), ("label", label), ("msg", "\(event.message)"), ("source", event.source),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { fields.append((key, "\(value)")) }
        let line = "{" + fields.map { "\(JSONString.quoted($0.0)):\(JSONString.quoted($0.1))" }.joined(separator: ",") + "}\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}

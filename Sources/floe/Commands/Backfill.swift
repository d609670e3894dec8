import ArgumentParser
import Collector
import Foundation

extension Floe {
    /// `floe backfill PATH...`: load historical events from NDJSON files (plain, .gz, .zst).
    struct Backfill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load historical events from files into the same tables (resumable, idempotent).",
            discussion: """
                Paths are files, directories (searched recursively for .ndjson/.jsonl/.json, also .gz/.zst) \
                or globs. Each line is a Segment message, a /v1/batch body, a CloudEvent or a CloudEvents array. \
                Progress per input file is kept in {data-dir}/backfill.db: after a crash the same command \
                continues where it stopped, and a file already complete (same path, size and mtime) is skipped, \
                so re-running adds nothing. Runs alongside `floe serve` on the same catalog.
                """ + "\n\n" + FloeConfiguration.settingFlagsHelp)

        @OptionGroup var options: GlobalOptions

        @Argument(help: "Input files, directories or globs.") var paths: [String]
        @Option(help: "segment, cloudevents or auto (per line).") var format = "auto"
        @Option(name: .customLong("max-errors"), help: "Stop after more than N lines with rejected events.") var maxErrors: Int?
        @Option(help: "Rejects file (default {data-dir}/backfill-rejects.ndjson).") var rejects: String?
        @Option(name: .customLong("target-file-rows"), help: "Most rows per data file.") var targetFileRows = 1_000_000
        @Option(name: .customLong("unit-events"), help: "Events per commit (bounds memory).") var unitEvents = 1_000_000
        @Flag(name: .customLong("rejects-table"), help: "Also record rejected events in the rejected table.") var rejectsTable = false
        @Flag(name: .customLong("dry-run"), help: "Validate and count what a run would load (after the progress recorded); write nothing to the tables or progress (invalid lines still go to the rejects file).") var dryRun = false
        @Flag(help: "Print the summary as one JSON line.") var json = false

        func validate() throws {
            guard ["segment", "cloudevents", "auto"].contains(format) else {
                throw ValidationError("--format must be segment, cloudevents or auto")
            }
            guard targetFileRows > 0, unitEvents > 0 else { throw ValidationError("sizes must be positive") }
        }

        func run() async throws {
            let configuration = try options.configuration()
            var backfill = BackfillOptions(paths: paths)
            backfill.format = format
            backfill.maxErrors = maxErrors
            backfill.rejectsPath = rejects
            backfill.rejectsTable = rejectsTable
            backfill.dryRun = dryRun
            backfill.targetFileRows = targetFileRows
            backfill.unitEvents = unitEvents
            backfill.progressBar = isatty(STDERR_FILENO) != 0
            let summary: BackfillSummary
            do {
                summary = try await BackfillRunner(configuration: configuration, options: backfill,
                                                   logger: options.logger(configuration)).run()
            } catch let stop as BackfillRunner.TooManyErrors {
                // A script reading the JSON line learns what was stored before the stop (the error goes to stderr).
                if json { try printJSON(stop.committed) }
                throw stop
            }
            if json {
                try printJSON(summary)
            } else {
                print("""
                    backfill \(summary.dryRun ? "(dry run) " : "")done: \(summary.events) events from \(summary.lines) lines \
                    in \(summary.inputFiles) files (\(summary.skippedFiles) already complete), \(summary.rejected) rejected, \
                    \(summary.dataFiles) data files, \(summary.commits) commits, \(summary.bytesWritten) bytes, \
                    \(String(format: "%.1f", summary.seconds)) s (\(summary.eventsPerSecond) events/s)
                    """)
            }
        }

        private func printJSON(_ summary: BackfillSummary) throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        }
    }
}

import ArgumentParser
import Collector
import Foundation

extension Floe {
    /// `floe maintain`: expire old snapshots and delete orphan files (R2 Data Catalog does this itself).
    struct Maintain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Expire snapshots older than a retention and delete orphan files of abandoned attempts; optionally remove duplicates and compact.",
            discussion: FloeConfiguration.settingFlagsHelp)

        @OptionGroup var options: GlobalOptions

        @Option(name: .customLong("expire-older-than-hours"), parsing: .unconditional, help: "Expire snapshots older than this.") var expireHours = 168.0
        @Option(name: .customLong("retain-last"), parsing: .unconditional, help: "Always keep this many newest snapshots.") var retainLast = 10
        @Option(name: .customLong("orphans-older-than-hours"), parsing: .unconditional,
                help: "Only delete unreferenced files older than this. Under an hour only while nothing else writes to the tables (no floe serve, backfill or other writer): their commits in flight have files no snapshot references yet, and deleting them breaks the table.")
        var orphanHours = 24.0
        @Flag(name: .customLong("remove-duplicates"),
              help: "First delete events stored twice (same messageId, or CloudEvents source and id, in one partition) with Iceberg position deletes; reads the key columns of every data file.")
        var removeDuplicates = false
        @Flag(name: .customLong("compact"),
              help: "Then rewrite the small data files of closed partitions into files of maintenance.target_file_size_bytes (the compaction floe serve runs; partitions close maintenance.partition_grace_ms after their hour).")
        var compact = false

        func validate() throws {
            // Ten years at most, as the settings' durations: a larger number does not fit a Duration.
            for (name, hours) in [("--expire-older-than-hours", expireHours), ("--orphans-older-than-hours", orphanHours)]
            where !(0...87_600).contains(hours) {
                throw ValidationError("\(name) takes 0 to 87600 hours (ten years), got \(hours)")
            }
            guard retainLast >= 1 else { throw ValidationError("--retain-last takes 1 or more snapshots, got \(retainLast)") }
        }

        func run() async throws {
            if orphanHours < 1 {
                FileHandle.standardError.write(Data("""
                    floe maintain: --orphans-older-than-hours \(orphanHours) deletes unreferenced files younger than an hour: \
                    safe only while nothing else writes to these tables (files of a commit in flight are unreferenced until it lands)

                    """.utf8))
            }
            let configuration = try options.configuration()
            let results = try await Maintenance.run(
                configuration: configuration, expireOlderThan: .seconds(expireHours * 3600), retainLast: retainLast,
                orphansOlderThan: .seconds(orphanHours * 3600), removeDuplicates: removeDuplicates, compact: compact,
                logger: options.logger(configuration))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
            // What did run is in the output above; a cron job or script still learns that the upkeep failed.
            let failed = results.filter(\.failed).map(\.table)
            if !failed.isEmpty {
                FileHandle.standardError.write(Data("floe maintain: failed on \(failed.joined(separator: ", ")) (see load_error, expiry_error, orphans_error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}

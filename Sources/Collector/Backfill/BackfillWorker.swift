import Dispatch
import Foundation
import NIOCore
import NIOPosix

/// One core's share of a backfill: normalizes the slices of lines it is given, one after the
/// other and in the order given, into rows of its own.
///
/// Slice `i` of every batch goes to worker `i`, so a worker's rows are in line order and a
/// partition's rows come in one piece per worker, not one per batch. The batches in flight share
/// the workers, so each core keeps writing into the same partitions' columns, which stay in its
/// cache (a set of rows per batch in flight doubled what the cores wrote to).
final class BackfillWorker: @unchecked Sendable {
    /// Runs the slices in submission order; `partial` is touched only on it.
    private let queue: DispatchQueue
    private var partial: BackfillUnitBuilder
    private let targetFileRows: Int

    private init(index: Int, targetFileRows: Int) {
        queue = DispatchQueue(label: "floe.backfill.worker.\(index)")
        self.targetFileRows = targetFileRows
        partial = BackfillUnitBuilder(targetFileRows: targetFileRows)
    }

    /// One per core.
    static func make(targetFileRows: Int) -> [BackfillWorker] {
        (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map { BackfillWorker(index: $0, targetFileRows: targetFileRows) }
    }

    /// The lines of a batch being normalized, slice by slice.
    struct Batch: Sendable {
        fileprivate var slices: [EventLoopFuture<[RunContext.Outcome]>]

        /// Each line's outcome, in line order, once every slice is done; the first failed slice's
        /// error otherwise (thrown only when every slice is done too).
        func outcomes() async throws -> [RunContext.Outcome] {
            var outcomes: [RunContext.Outcome] = []
            var failure: (any Error)?
            for slice in slices {
                do {
                    outcomes += try await slice.get()
                } catch {
                    failure = failure ?? error
                }
            }
            if let failure { throw failure }
            return outcomes
        }
    }

    /// Starts normalizing `lines` on every worker (slice `i` on worker `i`, after the slices it was
    /// given before) and returns at once. Pure apart from the workers' rows: no counters touched.
    static func submit(_ lines: LineBatch, to workers: [BackfillWorker], format: String, receivedAt: Int64,
                       privacy: PrivacyRules?, dryRun: Bool, rejects: RunContext.RejectsTable? = nil) -> Batch {
        let count = max(1, min(workers.count, lines.count / 512))
        let size = max(1, (lines.count + count - 1) / count)
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        return Batch(slices: (0..<count).map { index in
            let first = min(lines.count, index * size)
            let slice = lines.slice(first..<min(lines.count, (index + 1) * size))
            let rejects = rejects.map { $0.starting(at: first) }
            let worker = workers[index]
            let promise = eventLoop.makePromise(of: [RunContext.Outcome].self)
            worker.queue.async {
                promise.completeWith(Result {
                    try RunContext.normalize(slice, into: &worker.partial, format: format, receivedAt: receivedAt,
                                             privacy: privacy, dryRun: dryRun, rejects: rejects)
                })
            }
            return promise.futureResult
        })
    }

    /// The rows of every worker as one unit, worker by worker; the workers start empty again.
    /// Waits for the slices still running (there are none once every batch was settled).
    static func drain(_ workers: [BackfillWorker], targetFileRows: Int) -> BackfillUnitBuilder {
        var unit = BackfillUnitBuilder(targetFileRows: targetFileRows)
        for worker in workers {
            unit.merge(worker.queue.sync {
                defer { worker.partial = BackfillUnitBuilder(targetFileRows: targetFileRows) }
                return worker.partial
            })
        }
        return unit
    }
}

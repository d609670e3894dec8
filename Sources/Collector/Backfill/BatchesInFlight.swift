/// The batches of one input file being normalized, oldest first (see ``BackfillWorker``): how many
/// lines they hold, and the buffer of the batch settled last, which the reader can reuse.
struct BatchesInFlight {
    private var batches: [(job: BackfillWorker.Batch, lines: LineBatch, first: Int64)] = []
    /// Lines of every batch in flight.
    private(set) var lines = 0
    /// The batch settled last, whose buffer is free once taken.
    private var retired: LineBatch?

    var count: Int { batches.count }
    var isEmpty: Bool { batches.isEmpty }

    mutating func append(_ job: BackfillWorker.Batch, lines batch: LineBatch, first: Int64) {
        batches.append((job, batch, first))
        lines += batch.count
    }

    /// The oldest batch's outcomes, in line order, with the line number of its first line and its
    /// line count, once all its slices are done.
    mutating func settleOldest() async throws -> (outcomes: [RunContext.Outcome], first: Int64, count: Int) {
        let (job, batch, first) = batches.removeFirst()
        lines -= batch.count
        let outcomes = try await job.outcomes()
        retired = batch
        return (outcomes, first, batch.count)
    }

    /// The buffer of the batch settled last, once.
    mutating func takeRetired() -> LineBatch? {
        retired.take()
    }

    /// Waits for every batch still running (before their rows are dropped with an error).
    func finishAll() async {
        for batch in batches { _ = try? await batch.job.outcomes() }
    }
}

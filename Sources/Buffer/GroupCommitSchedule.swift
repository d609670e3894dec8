import Dispatch

/// When the buffer writer runs its next transaction: the appends waiting for it and the timing
/// rules of ``BufferConfiguration/groupCommitInterval``. Kept under the ``EventBuffer``'s lock.
///
/// - Without an interval every transaction is scheduled at once; appends arriving while one is
///   written share the next.
/// - With one, a transaction that answered several requests holds the next one back until the
///   interval has passed since it started, so that under load one fsync answers more requests.
///   A transaction that answered one request holds nothing back (one client sending request after
///   request has nobody to share with).
/// - A held-back transaction is written at once when as many appends as the last one answered are
///   already waiting within half the interval: those senders wait on their answers before sending
///   again (a closed loop, like wrk's connections), so waiting longer would only slow them down.
///   Independent senders arriving at a steady rate take about the whole interval to add up to that
///   many, and keep the wait.
struct GroupCommitSchedule<Waiting> {
    /// When a drain of the writer queue should run, and which scheduling it belongs to.
    enum Drain {
        case now(generation: Int)
        case at(DispatchTime, generation: Int)
    }

    let interval: DispatchTimeInterval?
    private(set) var waiting: [Waiting] = []
    private var scheduled = false
    private var heldBack = false
    /// Bumped by every scheduling: a drain of an earlier one (a held-back drain that was brought
    /// forward) finds nothing to do.
    private var generation = 0
    private var nextTransactionAt = DispatchTime(uptimeNanoseconds: 0)
    private var closedLoopUntil = DispatchTime(uptimeNanoseconds: 0)
    private var lastGroupSize = 0

    init(interval: DispatchTimeInterval?) {
        self.interval = interval
    }

    /// Adds an append; returns the drain to schedule, if one is needed now.
    mutating func enqueue(_ item: Waiting, now: DispatchTime = .now()) -> Drain? {
        waiting.append(item)
        if scheduled {
            guard heldBack, waiting.count >= lastGroupSize, now < closedLoopUntil else { return nil }
            heldBack = false
            generation += 1
            return .now(generation: generation)
        }
        scheduled = true
        generation += 1
        if nextTransactionAt > now {
            heldBack = true
            return .at(nextTransactionAt, generation: generation)
        }
        return .now(generation: generation)
    }

    /// The appends for the transaction starting now (nil when `generation`'s drain was superseded).
    mutating func take(generation: Int, now: DispatchTime = .now()) -> [Waiting]? {
        guard generation == self.generation, scheduled else { return nil }
        let taken = waiting
        waiting = []
        scheduled = false
        heldBack = false
        lastGroupSize = taken.count
        if let interval, taken.count > 1 {
            nextTransactionAt = now + interval
            // Half way from now to the next transaction.
            closedLoopUntil = DispatchTime(uptimeNanoseconds: now.uptimeNanoseconds
                + (nextTransactionAt.uptimeNanoseconds - now.uptimeNanoseconds) / 2)
        } else {
            nextTransactionAt = DispatchTime(uptimeNanoseconds: 0)
        }
        return taken
    }
}

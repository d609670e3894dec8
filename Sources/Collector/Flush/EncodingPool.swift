import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Threads that run a flush's CPU-heavy work (decoding buffered rows, encoding Parquet) at a
/// lower scheduling priority than request handling.
///
/// On a small machine a flush would otherwise take every core from the event loop and the
/// request tasks for the length of an encode, which shows as tail latency on `/v1/*`. These
/// threads are niced (+``niceness``, Linux applies `setpriority` per thread), so the scheduler
/// gives them whatever CPU requests leave over; when nothing else runs they get all of it.
/// Two process-wide pools with a thread per core each (and ``maintenance``), whose threads live as long as the process:
/// ``background`` (niced) for a flush that keeps up, ``urgent`` (normal priority) for one that has
/// fallen behind, so that flushing takes its share of the cores back before the backlog forces
/// requests to be refused.
///
/// A pool is also a `TaskExecutor`: maintenance runs whole with ``maintenance`` as its preferred
/// executor, so its manifest decoding and snapshot bookkeeping use only the CPU that requests and
/// flushes leave (``MaintenanceScheduler``).
final class EncodingPool: TaskExecutor, @unchecked Sendable {
    static let background = EncodingPool(threads: max(1, ProcessInfo.processInfo.activeProcessorCount), niceness: 10)
    static let urgent = EncodingPool(threads: max(1, ProcessInfo.processInfo.activeProcessorCount), niceness: 0)
    /// One thread at the lowest priority for maintenance (compaction decodes and encodes whole
    /// partitions), so that it never queues ahead of a flush's work nor takes a core from requests.
    static let maintenance = EncodingPool(threads: 1, niceness: 19)

    let threads: Int
    let niceness: Int32
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0

    init(threads: Int, niceness: Int32) {
        self.threads = threads
        self.niceness = niceness
        for number in 0..<threads {
            let thread = Thread { [self] in self.work() }
            thread.name = "floe-encode-\(number)"
            thread.start()
        }
    }

    /// Runs `body` on one of the pool's threads and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        submit { job.runSynchronously(on: executor) }
    }

    /// Queues `job` for the next free thread.
    private func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        #if canImport(Glibc)
        // Linux: PRIO_PROCESS with who = 0 sets the calling thread's nice value only.
        if niceness != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        #endif
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job()
        }
    }
}

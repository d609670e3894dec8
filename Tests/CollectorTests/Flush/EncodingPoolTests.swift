@testable import Collector
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("EncodingPool as a task executor")
struct EncodingPoolTests {
    /// The calling thread's nice value (Linux sets it per thread).
    static func niceness() -> Int32 {
        #if canImport(Glibc)
        errno = 0
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #else
        return 0
        #endif
    }

    @Test("work preferring the maintenance pool runs on its lowest-priority thread, and what holds the flush lock goes back to the normal priority")
    func maintenanceRunsNiced() async throws {
        let outside = Self.niceness()
        let (inside, committed) = try await withTaskExecutorPreference(EncodingPool.maintenance) {
            // Suspend first, so that the work resumes wherever the preference puts it.
            try await Task.sleep(for: .milliseconds(1))
            let inside = Self.niceness()
            let committed = try await AsyncSerialLock().withLock {
                try await Task.sleep(for: .milliseconds(1))
                return Self.niceness()
            }
            return (inside, committed)
        }
        #if os(Linux)
        #expect(inside == EncodingPool.maintenance.niceness)
        #expect(committed == outside && outside < inside)
        #endif
        // The pool still runs plain jobs beside tasks.
        #expect(try await EncodingPool.maintenance.run { 21 * 2 } == 42)
    }
}

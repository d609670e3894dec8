@testable import Iceberg
import Testing

@Suite("CommitRetryStateMachine")
struct CommitRetryStateMachineTests {
    @Test("backoff doubles from the minimum, capped, within the jitter band")
    func backoff() {
        var policy = CommitRetryPolicy()
        policy.numRetries = 5
        policy.minWait = .milliseconds(100)
        policy.maxWait = .milliseconds(350)
        var machine = CommitRetryStateMachine(policy: policy)
        let waits = (0..<5).map { _ in machine.attemptFailed(.conflict, elapsed: .zero, jitter: 1) }
        #expect(waits == [100, 200, 350, 350, 350].map { .reloadAndRetry(after: .milliseconds($0)) })
        #expect(machine.attemptFailed(.conflict, elapsed: .zero, jitter: 1) == .fail)
        var jittered = CommitRetryStateMachine(policy: policy)
        #expect(jittered.attemptFailed(.stateUnknown, elapsed: .zero, jitter: 0) == .reloadAndRetry(after: .milliseconds(50)))
    }

    @Test("the total timeout ends retries and bounds the last wait")
    func timeout() {
        var policy = CommitRetryPolicy()
        policy.totalTimeout = .seconds(1)
        policy.minWait = .seconds(2)
        var machine = CommitRetryStateMachine(policy: policy)
        #expect(machine.attemptFailed(.conflict, elapsed: .milliseconds(900), jitter: 1) == .reloadAndRetry(after: .milliseconds(100)))
        #expect(machine.attemptFailed(.conflict, elapsed: .seconds(1), jitter: 1) == .fail)
    }

    @Test("table properties configure the policy")
    func properties() {
        let policy = CommitRetryPolicy(properties: ["commit.retry.num-retries": "9", "commit.retry.min-wait-ms": "5"])
        #expect(policy.numRetries == 9)
        #expect(policy.minWait == .milliseconds(5))
        #expect(policy.maxWait == .seconds(60))
    }
}

import Dispatch
import Synchronization

/// Hands work to a committer in groups: whatever arrives while one group is being committed
/// waits, and goes together into the next. The committer runs one group at a time, in order.
///
/// This is the queue behind group commit (``GroupCommit`` for issuances, the verifier API's
/// audit lines): with `synchronous = FULL` each commit waits for the disk, so the callers that
/// gather during one commit share the next. Adding is synchronous, so that a caller can add
/// itself from inside `withCheckedThrowingContinuation`.
///
/// The committer runs on a dispatch queue of its own, not on Swift concurrency's pool, and
/// commits synchronously. On the pool it queued behind the very requests that wait for it: each
/// of them a millisecond of CPU (checks and two signatures) with no suspension point, so under
/// load every commit started late, requests piled up waiting for it, and the cores went idle
/// (docs/BENCHMARKS.md, session 12).
public final class CommitQueue<Member: Sendable>: Sendable {
    private struct State {
        var waiting: [Member] = []
        var committing = false
    }

    private let commit: @Sendable ([Member]) -> Void
    private let state = Mutex(State())
    private let committer: DispatchQueue

    /// `commit` receives each group, on the committer's queue named `label`, and must answer every member of it.
    public init(label: String, commit: @escaping @Sendable ([Member]) -> Void) {
        self.commit = commit
        committer = DispatchQueue(label: label, qos: .userInitiated)
    }

    public func add(_ member: Member) {
        let starts = state.withLock { state in
            state.waiting.append(member)
            defer { state.committing = true }
            return !state.committing
        }
        if starts { committer.async { self.commitWhileWaiting() } }
    }

    private func commitWhileWaiting() {
        while let group = state.withLock({ state -> [Member]? in
            guard !state.waiting.isEmpty else {
                state.committing = false
                return nil
            }
            defer { state.waiting = [] }
            return state.waiting
        }) {
            commit(group)
        }
    }
}

import Synchronization

/// Hands work to a committer in groups: whatever arrives while one group is being committed
/// waits, and goes together into the next. The committer runs one group at a time, in order.
///
/// This is the queue behind group commit (``GroupCommit`` for issuances, the verifier API's
/// audit lines): with `synchronous = FULL` each commit waits for the disk, so the callers that
/// gather during one commit share the next. Adding is synchronous, so that a caller can add
/// itself from inside `withCheckedThrowingContinuation`.
public final class CommitQueue<Member: Sendable>: Sendable {
    private struct State {
        var waiting: [Member] = []
        var committing = false
    }

    private let commit: @Sendable ([Member]) async -> Void
    private let state = Mutex(State())

    /// `commit` receives each group and must answer every member of it.
    public init(commit: @escaping @Sendable ([Member]) async -> Void) {
        self.commit = commit
    }

    public func add(_ member: Member) {
        let starts = state.withLock { state in
            state.waiting.append(member)
            defer { state.committing = true }
            return !state.committing
        }
        if starts { Task { await commitWhileWaiting() } }
    }

    private func commitWhileWaiting() async {
        while let group = state.withLock({ state -> [Member]? in
            guard !state.waiting.isEmpty else {
                state.committing = false
                return nil
            }
            defer { state.waiting = [] }
            return state.waiting
        }) {
            await commit(group)
        }
    }
}

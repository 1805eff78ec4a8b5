import GRDB

/// Commits many callers' writes in one SQLite transaction, and so one fsync: each caller waits
/// until its write is durable (nothing is acknowledged that was not committed), while the
/// callers that arrive during a commit go together into the next one.
///
/// With `synchronous = FULL` every commit waits for the disk, and SQLite has one writer, so
/// writes committed one by one are bounded by the disk's flush rate whatever the CPU could do;
/// grouped, the flush is shared. (On the benchmark machine the flush was not yet the bound of
/// issuance: docs/BENCHMARKS.md.)
///
/// Each caller's write runs in a savepoint of its own: one that throws is rolled back alone and
/// its caller gets the error, while the rest of the group commits.
struct GroupCommit {
    /// One caller's write: run it in the group's transaction, then resume the caller once the
    /// transaction has committed, or fail it if the transaction could not.
    private struct Member: Sendable {
        let apply: @Sendable (Database) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private let queue: CommitQueue<Member>

    init(writer: DatabasePool) {
        queue = CommitQueue { group in
            do {
                let resumes = try await writer.write { db in group.map { $0.apply(db) } }
                for resume in resumes { resume() }
            } catch {
                for member in group { member.fail(error) }
            }
        }
    }

    /// Runs `work` in the next group's transaction and returns its result once that is committed.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (caller: CheckedContinuation<T, any Error>) in
            let member = Member(
                apply: { db in
                    do {
                        nonisolated(unsafe) var value: T?
                        try db.inSavepoint {
                            value = try work(db)
                            return .commit
                        }
                        let result = value!
                        return { caller.resume(returning: result) }
                    } catch {
                        return { caller.resume(throwing: error) }
                    }
                },
                fail: { caller.resume(throwing: $0) })
            queue.add(member)
        }
    }
}

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
/// A caller's write that throws fails alone: its caller gets the error, the rest of the group
/// commits. The group is first written as it is, and only if a write throws is it written again,
/// each write in a savepoint of its own so that the failed one is rolled back alone. Savepoints
/// for every group would cost each write a copy of every page it touches (SQLite's statement
/// journal), to guard against failures that almost never happen (a serial drawn twice).
struct GroupCommit {
    /// One caller's write: run it in the group's transaction, then resume the caller once the
    /// transaction has committed, or fail it if the transaction could not.
    private struct Member: Sendable {
        /// Runs the write; throws what it throws.
        let apply: @Sendable (Database) throws -> @Sendable () -> Void
        /// Runs the write in a savepoint, rolled back alone if it throws; answers the caller either way.
        let applyAlone: @Sendable (Database) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// A write of the group threw: the transaction is rolled back and the group written again.
    private struct MemberFailed: Error {}

    private let queue: CommitQueue<Member>

    /// `afterGroup` runs on the committer after each group, its callers answered and its
    /// transaction over.
    init(writer: DatabasePool, afterGroup: @escaping @Sendable () -> Void = {}) {
        queue = CommitQueue { group in
            defer { afterGroup() }
            do {
                let resumes: [@Sendable () -> Void]
                do {
                    resumes = try await writer.write { db in
                        try group.map { member in
                            do { return try member.apply(db) } catch { throw MemberFailed() }
                        }
                    }
                } catch is MemberFailed {
                    resumes = try await writer.write { db in group.map { $0.applyAlone(db) } }
                }
                for resume in resumes { resume() }
            } catch {
                for member in group { member.fail(error) }
            }
        }
    }

    /// Runs `work` in the next group's transaction and returns its result once that is committed.
    /// `work` may run twice (the second time after the first was rolled back), so it must only
    /// read and write the database.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (caller: CheckedContinuation<T, any Error>) in
            let member = Member(
                apply: { db in
                    let result = try work(db)
                    return { caller.resume(returning: result) }
                },
                applyAlone: { db in
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

import Foundation
import GRDB
import Testing
@testable import JPKIStore

/// The checkpointer's RESTART never holds up the writer: it tries without waiting, and one that
/// found the writer busy is run by the committer between two groups. (That the
/// RESTART bounds the WAL shows only under load, when commits arrive while a passive checkpoint
/// copies: `jpki-ca bench issue` prints the WAL's size after its runs, docs/BENCHMARKS.md.)
/// The test runs the checkpointer's round itself (its thread waits an hour).
@Suite("The WAL checkpointer")
struct WALCheckpointerTests {
    /// A store-like pool: WAL, the writer's own auto-checkpoint out of reach, a busy timeout.
    /// Its files are removed when the test's scope ends (`defer { remove(path) }`).
    func pool() throws -> (DatabasePool, String, Configuration) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString).sqlite").path
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 262144") }
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { try $0.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)") }
        return (pool, path, configuration)
    }

    /// The database, its WAL and its shared-memory index.
    func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func insert(_ pool: DatabasePool, transactions: Int) throws {
        for _ in 0..<transactions {
            try pool.write { try $0.execute(sql: "INSERT INTO t (payload) VALUES (?)", arguments: [Data(count: 3000)]) }
        }
    }

    /// Runs a checkpoint round while a writer holds its transaction open, on a thread of its own
    /// (not one of Swift concurrency's few, which a blocked test must not hold two of); returns
    /// how long the round took, once the writer has committed.
    func roundBesideAnOpenTransaction(_ pool: DatabasePool, _ checkpointer: WALCheckpointer) throws -> Duration {
        let inTransaction = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var writeError: (any Error)?
        Thread {
            do {
                try pool.write { db in
                    try db.execute(sql: "INSERT INTO t (payload) VALUES (x'00')")
                    inTransaction.signal()
                    release.wait()
                }
            } catch {
                writeError = error
                inTransaction.signal()
            }
            finished.signal()
        }.start()
        inTransaction.wait()
        let start = ContinuousClock.now
        checkpointer.checkpoint()
        let waited = ContinuousClock.now - start
        release.signal()
        finished.wait()
        if let writeError { throw writeError }
        return waited
    }

    /// Frames in the WAL after one more small transaction (a passive checkpoint counts them, so
    /// each scenario asks once): a few if the WAL started over.
    func framesAfterOneMoreWrite(_ pool: DatabasePool) throws -> Int {
        try insert(pool, transactions: 1)
        return try pool.writeWithoutTransaction { try $0.checkpoint(.passive).walFrameCount }
    }

    @Test("it does not wait for a writer in a transaction")
    func doesNotWaitForTheWriter() throws {
        let (pool, path, configuration) = try pool()
        defer { remove(path) }
        let checkpointer = try WALCheckpointer(path: path, configuration: configuration, interval: 3600, restartFrames: 64)
        defer { checkpointer.stop() }
        try insert(pool, transactions: 200)  // past the threshold: the round tries a RESTART
        // The pool's busy timeout is 10 s: a checkpointer that waited for the lock would take that long.
        #expect(try roundBesideAnOpenTransaction(pool, checkpointer) < .seconds(5))
    }

    @Test("a RESTART that found the writer busy runs between two groups of the committer")
    func aBusyRestartRunsBetweenGroups() throws {
        /// A round that finds the writer in its transaction, then, if `between`, the committer's
        /// call after its group; the WAL's frames after one more write.
        func frames(restartingBetweenGroups between: Bool) throws -> Int {
            let (pool, path, configuration) = try pool()
            defer { remove(path) }
            let checkpointer = try WALCheckpointer(path: path, configuration: configuration, interval: 3600, restartFrames: 64)
            defer { checkpointer.stop() }
            try insert(pool, transactions: 200)
            _ = try roundBesideAnOpenTransaction(pool, checkpointer)
            if between { checkpointer.restartIfDue() }
            return try framesAfterOneMoreWrite(pool)
        }
        // Left alone, the WAL goes on from where it was; restarted, it starts over.
        #expect(try frames(restartingBetweenGroups: false) > 200)
        #expect(try frames(restartingBetweenGroups: true) < 10)
    }

    @Test("the issuance committer calls back after each group, once its callers are answered")
    func groupCommitCallsBackAfterEachGroup() async throws {
        let (pool, path, _) = try pool()
        defer { remove(path) }
        let calledBack = DispatchSemaphore(value: 0)
        let commits = GroupCommit(writer: pool, afterGroup: { calledBack.signal() })
        let count = try await commits.write { db in
            try db.execute(sql: "INSERT INTO t (payload) VALUES (x'00')")
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") ?? 0
        }
        #expect(count == 1)
        // The callback runs after the caller is resumed: wait for it, off Swift concurrency's pool.
        let signalled = await withCheckedContinuation { done in
            Thread { done.resume(returning: calledBack.wait(timeout: .now() + 10) == .success) }.start()
        }
        #expect(signalled)
    }
}

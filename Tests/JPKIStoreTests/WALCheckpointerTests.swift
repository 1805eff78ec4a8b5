import Foundation
import GRDB
import Testing
@testable import JPKIStore

/// The checkpointer's RESTART never holds up the writer: it tries without waiting. (That the
/// RESTART bounds the WAL shows only under load, when commits arrive while a passive checkpoint
/// copies: `jpki-ca bench issue` prints the WAL's size after its runs, docs/BENCHMARKS.md.)
/// The test runs the checkpointer's round itself (its thread waits an hour).
@Suite("The WAL checkpointer")
struct WALCheckpointerTests {
    /// A store-like pool: WAL, the writer's own auto-checkpoint out of reach, a busy timeout.
    func pool() throws -> (DatabasePool, String, Configuration) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString).sqlite").path
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 262144") }
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { try $0.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)") }
        return (pool, path, configuration)
    }

    func insert(_ pool: DatabasePool, transactions: Int) throws {
        for _ in 0..<transactions {
            try pool.write { try $0.execute(sql: "INSERT INTO t (payload) VALUES (?)", arguments: [Data(count: 3000)]) }
        }
    }

    @Test("it does not wait for a writer in a transaction")
    func doesNotWaitForTheWriter() throws {
        let (pool, path, configuration) = try pool()
        let checkpointer = try WALCheckpointer(path: path, configuration: configuration, interval: 3600, restartFrames: 64)
        defer { checkpointer.stop() }
        try insert(pool, transactions: 200)  // past the threshold: the round tries a RESTART
        // The writer holds its transaction open on a thread of its own (not one of Swift
        // concurrency's few, which a blocked test must not hold two of) until released.
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
        #expect(writeError == nil)
        // The pool's busy timeout is 10 s: a checkpointer that waited for the lock would take that long.
        #expect(waited < .seconds(5))
    }
}

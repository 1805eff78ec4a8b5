import Foundation
import GRDB
import Synchronization

/// Copies committed WAL frames back into the database file, on a connection and a thread of
/// its own, every ``interval`` (0.2 s).
///
/// By default the connection that commits does this (SQLite's auto-checkpoint), inside the
/// commit of whichever transaction crosses the threshold: an enrollment or a batch of change
/// notices then waits for megabytes of copying. A PASSIVE checkpoint (SQLite's
/// `sqlite3_wal_checkpoint_v2`) takes no lock that the writer needs, so here it runs beside the
/// writer, on the other core, and commits only append to the WAL.
///
/// A passive checkpoint never starts the WAL over: SQLite does that only at a write transaction
/// that begins with every frame copied back, which commits back to back (issuance under load)
/// never give. The WAL then grew to the writer's auto-checkpoint threshold (1 GiB), every commit
/// appending to blocks the file system had to allocate, and a certificate issued over HTTP cost
/// some 8 % more CPU (docs/BENCHMARKS.md, session 11). So past ``restartFrames`` the checkpointer
/// also tries a RESTART checkpoint: it takes the writer's lock, copies what the passive one left,
/// and, once no reader is left in the WAL, lets the next commit write from the WAL's start, over
/// blocks the file already has. It tries without waiting (its connection's busy handler gives up
/// at once): if the writer is in a transaction or a reader in the WAL, it leaves the try to the
/// next interval (or to the issuance committer, below) rather than hold up a batch of change
/// notices behind its copy.
///
/// When group commits of issuance come back to back they hold the writer's lock nearly all the
/// time (their fsync included), and a RESTART tried at a random moment almost never finds it
/// free: with the committer on a thread of its own (tried in session 12) the WAL grew again, to
/// 369 MiB in three runs of `bench issue`. So a RESTART that failed stays due, and the issuance
/// committer, which knows when its transaction has ended, runs it between two groups
/// (``restartIfDue()``).
final class WALCheckpointer: @unchecked Sendable {
    static let interval: TimeInterval = 0.2
    /// 64 MiB of 4 KiB pages: about a second of issuance under load.
    static let defaultRestartFrames = 16_384

    private let connection: DatabaseQueue
    /// Held while a checkpoint runs on `connection`, by the checkpointer's thread or by the
    /// committer between groups: the committer only tries it, so as never to wait for a copy.
    private let running = NSLock()
    /// A RESTART failed for a busy lock and is to be tried again between groups.
    private let restartDue = Atomic<Bool>(false)
    private let restartFrames: Int
    private let interval: TimeInterval
    private let condition = NSCondition()
    private var stopped = false  // guarded by condition

    init(path: String, configuration: Configuration, interval: TimeInterval = WALCheckpointer.interval,
         restartFrames: Int = defaultRestartFrames) throws {
        connection = try DatabaseQueue(path: path, configuration: configuration)
        // Opened with the store's busy timeout, so that opening never fails on a passing lock;
        // from here on it never waits (`busy_timeout = 0` removes SQLite's busy handler).
        try connection.writeWithoutTransaction { try $0.execute(sql: "PRAGMA busy_timeout = 0") }
        self.restartFrames = restartFrames
        self.interval = interval
        let thread = Thread { [weak self] in
            while let self, self.wait() { self.checkpoint() }
        }
        thread.name = "jpki-ca WAL checkpointer"
        thread.start()
    }

    /// One round: a passive checkpoint, then a RESTART one if the WAL is past ``restartFrames``.
    /// A busy RESTART fails with SQLITE_BUSY at once, having copied what it could as a passive
    /// one does; the issuance committer tries it once more between two groups, and the next
    /// round decides again.
    func checkpoint() {
        running.lock()
        defer { running.unlock() }
        let restarted = try? connection.writeWithoutTransaction { db in
            guard try db.checkpoint(.passive).walFrameCount > restartFrames else { return true }
            return try Self.restart(db)
        }
        restartDue.store(restarted == false, ordering: .relaxed)
    }

    /// Runs a RESTART that a round could not, if one is due and no round is running. Called by
    /// the issuance committer between two groups, when its own transaction is over; it costs the
    /// committer the copy of what the last passive checkpoint left (a fraction of a second of
    /// commits), at most once a round.
    ///
    /// It tries once: a RESTART can be busy with a reader still in the WAL, and fail only after
    /// copying and syncing, which no group should pay again before the next round decides anew.
    /// It runs on the committer's thread (one of Swift concurrency's), which it holds for that
    /// copy and the database file's fsync.
    func restartIfDue() {
        guard running.try() else { return }
        defer { running.unlock() }
        guard restartDue.exchange(false, ordering: .relaxed) else { return }
        _ = try? connection.writeWithoutTransaction { try Self.restart($0) }
    }

    /// A RESTART checkpoint; false if a lock it needs was busy (SQLITE_BUSY at once, having
    /// copied what it could).
    private static func restart(_ db: Database) throws -> Bool {
        do {
            try db.checkpoint(.restart)
            return true
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return false
        }
    }

    /// Sleeps one interval; `false` once stopped.
    private func wait() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if !stopped { _ = condition.wait(until: Date().addingTimeInterval(interval)) }
        return !stopped
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }
}

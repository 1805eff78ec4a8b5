import Foundation
import GRDB

/// Copies committed WAL frames back into the database file, on a connection and a thread of
/// its own, every ``interval``.
///
/// By default the connection that commits does this (SQLite's auto-checkpoint), inside the
/// commit of whichever transaction crosses the threshold: an enrollment or a batch of change
/// notices then waits for megabytes of copying. A PASSIVE checkpoint (SQLite's
/// `sqlite3_wal_checkpoint_v2`) takes no lock that the writer needs, so here it runs beside the
/// writer, on the other core, and commits only append to the WAL.
final class WALCheckpointer: @unchecked Sendable {
    static let interval: TimeInterval = 0.2

    private let connection: DatabaseQueue
    private let condition = NSCondition()
    private var stopped = false  // guarded by condition

    init(path: String, configuration: Configuration) throws {
        connection = try DatabaseQueue(path: path, configuration: configuration)
        let thread = Thread { [weak self] in
            while let self, self.wait() {
                _ = try? self.connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
            }
        }
        thread.name = "jpki-ca WAL checkpointer"
        thread.start()
    }

    /// Sleeps one interval; `false` once stopped.
    private func wait() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if !stopped { condition.wait(until: Date().addingTimeInterval(Self.interval)) }
        return !stopped
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }
}

import Foundation
import JPKIStore

/// Records verifier requests in the audit log in groups: each caller waits until its line is
/// committed (nothing answered goes unrecorded), while requests that arrive during a commit go
/// together into the next. Each group is one entry of the chain (`verifier-api`,
/// `verifier.requests`) with one line per request (``CertificateDatabase/audit(group:actor:action:at:)``),
/// so that thousands of lookups a second cost tens of entries and commits, not thousands.
struct AuditGroupCommit {
    static let actor = "verifier-api"
    static let action = "verifier.requests"

    private struct Member: Sendable {
        let line: AuditLine
        let done: @Sendable (Result<Void, any Error>) -> Void
    }

    private let queue: CommitQueue<Member>

    init(database: CertificateDatabase) {
        queue = CommitQueue { group in
            do {
                try await database.audit(group: group.map(\.line), actor: Self.actor, action: Self.action, at: Date())
                for member in group { member.done(.success(())) }
            } catch {
                for member in group { member.done(.failure(error)) }
            }
        }
    }

    func record(_ event: AuditEvent) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            record(event) { done.resume(with: $0) }
        }
    }

    /// Calls `done`, on the committer's task, once `event` is committed or has failed to be:
    /// for an answer given on an event loop, which must not wait. The event's line is written
    /// here, on the caller's thread, not by the committer that every request waits for.
    func record(_ event: AuditEvent, then done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        queue.add(Member(line: AuditLine(event), done: done))
    }
}

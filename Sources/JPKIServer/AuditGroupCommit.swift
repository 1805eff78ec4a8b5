import Foundation
import JPKIStore

/// Records verifier requests in the audit log in groups: each caller waits until its line is
/// committed (nothing answered goes unrecorded), while requests that arrive during a commit go
/// together into the next. Each group is one entry of the chain (`verifier-api`,
/// `verifier.requests`) with one line per request (``CertificateDatabase/audit(group:actor:action:at:)``),
/// so that thousands of lookups a second cost tens of entries and commits, not thousands.
actor AuditGroupCommit {
    static let actor = "verifier-api"
    static let action = "verifier.requests"

    private let database: CertificateDatabase
    private var waiting: [(event: AuditEvent, done: CheckedContinuation<Void, any Error>)] = []
    private var committing = false

    init(database: CertificateDatabase) {
        self.database = database
    }

    func record(_ event: AuditEvent) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            waiting.append((event, done))
            if !committing {
                committing = true
                Task { await commitWhileWaiting() }
            }
        }
    }

    private func commitWhileWaiting() async {
        while !waiting.isEmpty {
            let group = waiting
            waiting = []
            do {
                try await database.audit(group: group.map(\.event), actor: Self.actor, action: Self.action, at: Date())
                for member in group { member.done.resume() }
            } catch {
                for member in group { member.done.resume(throwing: error) }
            }
        }
        committing = false
    }
}

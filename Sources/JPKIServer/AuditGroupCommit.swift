import Foundation
import JPKIStore

/// Appends verifier lookups to the audit log in groups: each caller waits until its entry is
/// committed (nothing answered goes unrecorded), while entries that arrive during a commit go
/// together in the next one, so thousands of lookups a second cost tens of commits, not thousands.
actor AuditGroupCommit {
    private let database: CertificateDatabase
    private var waiting: [(entry: (event: AuditEvent, at: Date), done: CheckedContinuation<Void, any Error>)] = []
    private var committing = false

    init(database: CertificateDatabase) {
        self.database = database
    }

    func record(_ event: AuditEvent, at date: Date = Date()) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            waiting.append(((event, date), done))
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
                try await database.audit(group.map(\.entry))
                for member in group { member.done.resume() }
            } catch {
                for member in group { member.done.resume(throwing: error) }
            }
        }
        committing = false
    }
}

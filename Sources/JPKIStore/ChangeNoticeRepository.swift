import Foundation
import GRDB
import JPKIProfile

/// A change notice that passed validation, reduced to what the store needs to apply it: the RA
/// decides from the rules table which kinds of certificate it revokes and why.
public struct NoticeApplication: Sendable {
    public let noticeID: String
    public let kind: ChangeNoticeKind
    public let residentHash: Data
    /// When the change took effect: the revocation time of what it revokes.
    public let effectiveAt: Date
    /// The line of the file or the index in the batch, for the report.
    public let line: Int

    public init(noticeID: String, kind: ChangeNoticeKind, residentHash: Data, effectiveAt: Date, line: Int) {
        self.noticeID = noticeID
        self.kind = kind
        self.residentHash = residentHash
        self.effectiveAt = effectiveAt
        self.line = line
    }
}

/// A notice that failed validation: recorded with why, so that nothing sent is lost without trace.
public struct NoticeRejection: Sendable, Equatable {
    public let line: Int
    public let noticeID: String?
    public let kind: String?
    public let code: String
    public let field: String?

    public init(line: Int, noticeID: String?, kind: String?, code: String, field: String?) {
        self.line = line
        self.noticeID = noticeID
        self.kind = kind
        self.code = code
        self.field = field
    }
}

/// One line of a batch of notices, in the order received.
public enum NoticeBatchEntry: Sendable {
    case notice(NoticeApplication)
    case rejected(NoticeRejection)
}

/// A certificate a notice revoked.
public struct NoticeRevocation: Sendable, Equatable {
    public let ca: String
    public let serial: String
    public let reason: RevocationReason
}

/// The single recorded outcome of a notice.
public enum NoticeOutcome: Sendable, Equatable {
    /// The resident held certificates at the effective time; these were revoked (none if the
    /// rules keep them all, e.g. a move keeps the user-authentication certificate).
    case applied(revoked: [NoticeRevocation])
    /// The resident held no certificate at the effective time (recorded, not an error).
    case noMatch
    /// The notice id was already recorded: nothing changed.
    case duplicate
    case rejected

    public var name: String {
        switch self {
        case .applied: "applied"
        case .noMatch: "no-match"
        case .duplicate: "duplicate"
        case .rejected: "rejected"
        }
    }
}

/// Counts of outcomes for one JST day and notice kind: what `jpki-ca notices report` prints.
public struct NoticeReportRow: Sendable, Equatable {
    public let day: CalendarDate
    /// The notice kind, or `unknown` for a rejected line whose kind could not be read.
    public let kind: String
    public let outcome: String
    public let count: Int
}

extension CertificateDatabase {
    /// Applies a batch of notices in one transaction, so that each notice and its revocations
    /// commit together: after a crash a notice is either wholly recorded or not at all, and
    /// ingesting the file again skips it as a duplicate (its id is the table's key).
    ///
    /// For each notice, the certificates matched are the resident's (by keyed hash) that were
    /// valid or suspended, unexpired, and already issued at the effective time: a notice effective
    /// before a certificate was issued does not revoke it. Of those, `reasons(kind)` of the notice
    /// decides which are revoked and why; the revocation time is the effective time.
    public func applyNotices(_ batch: [NoticeBatchEntry], feed: String, at now: Date) async throws -> [NoticeOutcome] {
        let nowSeconds = StoredTime.seconds(now)
        return try await writer.write { db in
            var chain = try AuditLog.Chain(db)
            var outcomes: [NoticeOutcome] = []
            outcomes.reserveCapacity(batch.count)
            for entry in batch {
                switch entry {
                case .rejected(let rejection):
                    try db.cachedStatement(sql: """
                        INSERT INTO notice_rejection (notice_id, kind, code, field, line, rejected_at, feed)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [rejection.noticeID, rejection.kind, rejection.code, rejection.field,
                                                 rejection.line, nowSeconds, feed])
                    var details = ["line": "\(rejection.line)", "code": rejection.code]
                    details["noticeId"] = rejection.noticeID
                    details["kind"] = rejection.kind
                    details["field"] = rejection.field
                    try chain.append(AuditEvent(actor: feed, action: "notice.rejected", details: details), at: now, in: db)
                    outcomes.append(.rejected)
                case .notice(let notice):
                    outcomes.append(try apply(notice, feed: feed, nowSeconds: nowSeconds, now: now, chain: &chain, db: db))
                }
            }
            return outcomes
        }
    }

    private func apply(_ notice: NoticeApplication, feed: String, nowSeconds: Int64, now: Date,
                       chain: inout AuditLog.Chain, db: Database) throws -> NoticeOutcome {
        let seen = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM change_notice WHERE notice_id = ?"),
                                     arguments: [notice.noticeID]) ?? false
        if seen { return .duplicate }
        let effective = StoredTime.seconds(notice.effectiveAt)
        let matched = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT ca, serial, kind FROM certificate
            WHERE resident_hash = ? AND status IN ('valid', 'suspended') AND not_after > ? AND not_before <= ?
            """), arguments: [notice.residentHash, effective, effective])
        var revoked: [NoticeRevocation] = []
        for row in matched {
            guard let kind = CertificateKind(rawValue: row["kind"]),
                  let reason = notice.kind.revocationReason(for: kind) else { continue }
            let revocation = NoticeRevocation(ca: row["ca"], serial: row["serial"], reason: reason)
            try db.cachedStatement(sql: """
                UPDATE certificate SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE ca = ? AND serial = ?
                """).execute(arguments: [effective, reason.rawValue, revocation.ca, revocation.serial])
            revoked.append(revocation)
        }
        let outcome: NoticeOutcome = matched.isEmpty ? .noMatch : .applied(revoked: revoked)
        try db.cachedStatement(sql: """
            INSERT INTO change_notice (notice_id, kind, outcome, effective_at, ingested_at, feed, revoked)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [notice.noticeID, notice.kind.rawValue, outcome.name, effective, nowSeconds, feed,
                                     revoked.count])
        var details = ["noticeId": notice.noticeID, "kind": notice.kind.rawValue, "line": "\(notice.line)",
                       "effectiveAt": AuditLog.timestamp(notice.effectiveAt)]
        if !revoked.isEmpty {
            details["revoked"] = revoked.map { "\($0.ca) \($0.serial) \($0.reason.name)" }.joined(separator: ", ")
        }
        try chain.append(AuditEvent(actor: feed, action: "notice.\(outcome.name)", details: details), at: now, in: db)
        return outcome
    }

    /// Outcomes per JST day of ingestion, kind and outcome, newest day first, over the last
    /// `days` days up to `now`. Duplicates are not recorded (they changed nothing), so they do not
    /// appear.
    public func noticeReport(days: Int, until now: Date) throws -> [NoticeReportRow] {
        let offset = JapanStandardTime.offsetSeconds
        let today = JapanStandardTime.date(of: now).daysSinceEpoch
        let since = (today - Int64(days) + 1) * 86_400 - offset
        return try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT day, kind, outcome, SUM(n) AS n FROM (
                    SELECT (ingested_at + ?) / 86400 AS day, kind, outcome, COUNT(*) AS n
                    FROM change_notice WHERE ingested_at >= ? GROUP BY day, kind, outcome
                    UNION ALL
                    SELECT (rejected_at + ?) / 86400 AS day, COALESCE(kind, 'unknown'), 'rejected', COUNT(*)
                    FROM notice_rejection WHERE rejected_at >= ? GROUP BY 1, 2)
                GROUP BY day, kind, outcome ORDER BY day DESC, kind, outcome
                """, arguments: [offset, since, offset, since]).map {
                NoticeReportRow(day: CalendarDate(daysSinceEpoch: $0["day"]), kind: $0["kind"], outcome: $0["outcome"],
                                count: $0["n"])
            }
        }
    }
}

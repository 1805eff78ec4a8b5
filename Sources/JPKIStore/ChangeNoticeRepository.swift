import Foundation
import GRDB
import JPKIProfile

/// A change notice that passed validation, reduced to what the store needs to apply it: the RA
/// decides from the rules table which kinds of certificate it revokes and why.
public struct NoticeApplication: Sendable {
    public let noticeID: String
    public let kind: ChangeNoticeKind
    public let residentHash: Data
    /// When the change took effect, to the second: the revocation time of what it revokes.
    public let effectiveAt: Date
    /// The start of the notice's line in its batch's audit entry (line, id, kind, effective
    /// time), written when the notice is validated rather than in the write transaction.
    let auditPrefix: String
    /// The line of the file or the index in the batch, for the report.
    public let line: Int
    /// The resident's new four items, for the kinds that carry them: kept as the latest four
    /// items of a resident who holds certificates, for government verifiers.
    public let fourItems: BasicFourItems?

    public init(noticeID: String, kind: ChangeNoticeKind, residentHash: Data, effectiveAt: Date, line: Int,
                fourItems: BasicFourItems? = nil) {
        self.fourItems = fourItems
        self.noticeID = noticeID
        self.kind = kind
        self.residentHash = residentHash
        self.effectiveAt = Date(timeIntervalSince1970: effectiveAt.timeIntervalSince1970.rounded(.down))
        auditPrefix = "line \(line) notice \(noticeID) \(kind.rawValue) \(AuditLog.timestamp(self.effectiveAt)) "
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

/// A batch of lines as the store applies it, with the sets that its reads and checks need, made
/// once when the batch is formed rather than on the writer, which bounds ingestion. A class, so
/// that a lookahead can tell by identity that it was read for this very batch.
public final class NoticeBatch: Sendable {
    public let entries: [NoticeBatchEntry]
    /// The residents (by keyed hash) and the notice ids of the batch's valid notices.
    let residents: Set<Data>
    let ids: Set<String>

    public init(_ entries: [NoticeBatchEntry]) {
        self.entries = entries
        var residents = Set<Data>(minimumCapacity: entries.count), ids = Set<String>(minimumCapacity: entries.count)
        for case .notice(let notice) in entries {
            residents.insert(notice.residentHash)
            ids.insert(notice.noticeID)
        }
        self.residents = residents
        self.ids = ids
    }
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
    /// before a certificate was issued does not revoke it. Of those, the notice kind's rule
    /// decides which are revoked and why; the revocation time is the effective time (see
    /// ``apply(_:to:nowSeconds:tick:db:)`` for notices in the future and out of order).
    ///
    /// The batch's residents and notice ids are looked up with one query each, in index order,
    /// rather than one query per notice; notices are then applied in the order given, against
    /// that snapshot kept up to date as they revoke, so two notices for one resident in the
    /// same batch see each other's effect exactly as if applied one by one.
    ///
    /// The single writer is what bounds ingestion, so the batch's reads can be done ahead, on a
    /// reader connection while the batch before is written
    /// (``noticeLookahead(for:feed:during:beside:)``); `begun` is called once this batch's
    /// transaction has begun, with the mark that a lookahead for the next batch is read during.
    public func applyNotices(_ batch: NoticeBatch, feed: String, at now: Date, lookahead: NoticeLookahead? = nil,
                             begun: (@Sendable (WriterMark) -> Void)? = nil) async throws -> [NoticeOutcome] {
        let nowSeconds = StoredTime.seconds(now)
        let (outcomes, write) = try await writer.write { db in
            let start = try WriterMark(db)
            begun?(start)
            var seen: Set<String>
            var held: [Data: [HeldCertificate]]
            if let lookahead, let last = lastNoticeWrite.withLock({ $0 }), last.admits(lookahead, for: batch, feed: feed, at: start) {
                // Nothing but `last` was written since the lookahead's snapshot began, which may or
                // may not include it: what `last` touched is read again here.
                held = lookahead.held
                for resident in lookahead.touched { held[resident] = nil }
                held.merge(try Self.certificates(of: lookahead.touched, db: db)) { $1 }
                seen = lookahead.recorded.union(lookahead.touchedIDs)
            } else {
                seen = try Self.recordedNoticeIDs(batch.ids, feed: feed, db: db)
                held = try Self.certificates(of: batch.residents, db: db)
            }
            seen.reserveCapacity(seen.count + batch.ids.count)
            var outcomes: [NoticeOutcome] = []
            outcomes.reserveCapacity(batch.entries.count)
            var recorded: [DatabaseValue] = []
            recorded.reserveCapacity(7 * batch.ids.count)
            let feedValue = feed.databaseValue, nowValue = nowSeconds.databaseValue
            // The audit entry's lines, written into one text as they come (megabytes a batch).
            var audited = ""
            audited.reserveCapacity(100 * batch.entries.count)
            var auditedLines = 0
            var duplicates = 0
            var tick = ListingTick()
            // Prepared once for the batch, not looked up by its text for each revocation.
            let revoke = try db.cachedStatement(sql: Self.revokeByNotice)
            for entry in batch.entries {
                switch entry {
                case .rejected(let rejection):
                    try db.cachedStatement(sql: """
                        INSERT INTO notice_rejection (notice_id, kind, code, field, line, rejected_at, feed)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [rejection.noticeID, rejection.kind, rejection.code, rejection.field,
                                                 rejection.line, nowSeconds, feed])
                    if auditedLines > 0 { audited += "\n" }
                    audited += "line \(rejection.line) notice \(rejection.noticeID ?? "-") \(rejection.kind ?? "-") rejected "
                        + "\(rejection.code)\(rejection.field.map { " \($0)" } ?? "")"
                    auditedLines += 1
                    outcomes.append(.rejected)
                case .notice(let notice):
                    guard seen.insert(notice.noticeID).inserted else {
                        outcomes.append(.duplicate)
                        duplicates += 1
                        continue
                    }
                    let outcome = try apply(notice, to: &held[notice.residentHash, default: []], nowSeconds: nowSeconds,
                                            tick: &tick, revoking: revoke, db: db)
                    // Only for a resident who holds certificates: the CA keeps no one else's items.
                    if case .applied = outcome, let items = notice.fourItems {
                        try Self.recordFourItems(items, residentHash: notice.residentHash,
                                                 asOf: StoredTime.seconds(notice.effectiveAt), db: db)
                    }
                    if auditedLines > 0 { audited += "\n" }
                    audited += notice.auditPrefix
                    audited += outcome.name
                    auditedLines += 1
                    var revokedCount = 0
                    if case .applied(let revoked) = outcome {
                        revokedCount = revoked.count
                        for (index, revocation) in revoked.enumerated() {
                            audited += index == 0 ? ": " : ", "
                            audited += revocation.ca
                            audited += " "
                            audited += revocation.serial
                            audited += " "
                            audited += revocation.reason.name
                        }
                    }
                    recorded.append(feedValue)
                    recorded.append(notice.noticeID.databaseValue)
                    recorded.append(notice.kind.rawValue.databaseValue)
                    recorded.append(outcome.name.databaseValue)
                    recorded.append(StoredTime.seconds(notice.effectiveAt).databaseValue)
                    recorded.append(nowValue)
                    recorded.append(revokedCount.databaseValue)
                    outcomes.append(outcome)
                }
            }
            try InsertRows.execute(table: "change_notice",
                                   columns: ["feed", "notice_id", "kind", "outcome", "effective_at", "ingested_at", "revoked"],
                                   values: recorded, db: db)
            // One audit entry per batch, listing every line's outcome but the duplicates', which
            // are counted (they changed nothing): the chain covers each notice, and a batch of
            // forty thousand costs one entry.
            if auditedLines > 0 {
                try AuditLog.append(AuditEvent(actor: feed, action: "notices.applied", details: [
                    "notices": "\(auditedLines)", "duplicates": "\(duplicates)", "outcomes": audited,
                ]), at: now, in: db)
            }
            return (outcomes, NoticeWrite(start: start, end: try WriterMark(db), feed: feed, batch: batch))
        }
        lastNoticeWrite.withLock { $0 = write }
        return outcomes
    }

    /// Reads ahead what `batch` will read when applied: its residents' certificates and which of
    /// its notice ids `feed` has delivered. Read on a reader connection, so call it once the
    /// transaction marked `during`, which applies `beside` (the batch before), has begun (from
    /// `applyNotices`'s `begun`): the snapshot then holds everything committed before that
    /// transaction, and perhaps that transaction too. Which of the batch's residents and ids
    /// `beside` has too, and so may have changed, is worked out here, off the writer.
    public func noticeLookahead(for batch: NoticeBatch, feed: String, during: WriterMark,
                                beside: NoticeBatch) async throws -> NoticeLookahead {
        let touched = batch.residents.intersection(beside.residents)
        let touchedIDs = batch.ids.intersection(beside.ids)
        return try await writer.read { db in
            NoticeLookahead(batch: batch, during: during, beside: beside, feed: feed,
                            held: try Self.certificates(of: batch.residents, db: db),
                            recorded: try Self.recordedNoticeIDs(batch.ids, feed: feed, db: db),
                            touched: touched, touchedIDs: touchedIDs)
        }
    }

    /// A resident's certificate as matching needs it.
    struct HeldCertificate: Sendable {
        let ca: String
        let serial: String
        let kind: CertificateKind
        var status: CertificateStatus
        let notBefore: Int64
        let notAfter: Int64
        var revokedAt: Int64?
        var reason: RevocationReason?

        /// Revoked for a reason a change notice gives: the revocations that a notice effective
        /// earlier may back-date.
        var revokedByNotice: Bool {
            status == .revoked && (reason == .affiliationChanged || reason == .cessationOfOperation)
        }
    }

    /// SQLite binds at most 32,766 parameters; lookups go in chunks well below that.
    static let lookupChunk = 500

    /// Which of `ids` `feed` has delivered before: notice ids are unique within a feed, so one
    /// feed's ids never shadow another's.
    static func recordedNoticeIDs(_ ids: Set<String>, feed: String, db: Database) throws -> Set<String> {
        var recorded = Set<String>()
        for chunk in Array(ids).chunked(into: lookupChunk) {
            let statement = try lookupStatement(
                "SELECT notice_id FROM change_notice WHERE feed = ? AND notice_id IN (\(marks(chunk.count)))",
                keys: chunk.count, db: db)
            recorded.formUnion(try String.fetchAll(statement, arguments: [feed] + StatementArguments(chunk)))
        }
        return recorded
    }

    /// `count` comma-separated parameter marks.
    private static func marks(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }

    /// A lookup's statement: kept prepared for the full chunks that make up most of a batch's
    /// lookups, prepared once for the last, shorter one.
    private static func lookupStatement(_ sql: String, keys: Int, db: Database) throws -> Statement {
        keys == lookupChunk ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
    }

    static func certificates(of residents: Set<Data>, db: Database) throws -> [Data: [HeldCertificate]] {
        var held: [Data: [HeldCertificate]] = [:]
        for chunk in Array(residents).chunked(into: lookupChunk) {
            let statement = try lookupStatement("""
                SELECT resident_hash, ca, serial, kind, status, not_before, not_after, revoked_at, revocation_reason
                FROM certificate WHERE resident_hash IN (\(marks(chunk.count)))
                    AND (status IN ('valid', 'suspended') OR revocation_reason IN (?, ?))
                """, keys: chunk.count, db: db)
            let rows = try Row.fetchCursor(statement, arguments: StatementArguments(chunk)
                                           + [RevocationReason.affiliationChanged.rawValue,
                                              RevocationReason.cessationOfOperation.rawValue])
            while let row = try rows.next() {  // by position: name lookups cost more than the query
                guard let kind = CertificateKind(rawValue: row[3]),
                      let status = CertificateStatus(rawValue: row[4]) else { continue }
                held[row[0], default: []].append(HeldCertificate(
                    ca: row[1], serial: row[2], kind: kind, status: status, notBefore: row[5], notAfter: row[6],
                    revokedAt: row[7], reason: (row[8] as Int?).flatMap(RevocationReason.init(rawValue:))))
            }
        }
        return held
    }

    /// The update that revokes one certificate for a change notice (see `apply`).
    static let revokeByNotice = """
        UPDATE certificate SET status = 'revoked', revoked_at = ?, revocation_reason = ?,
            invalidity_date = CASE status WHEN 'suspended' THEN revoked_at ELSE invalidity_date END, listed_tick = ?
        WHERE resident_hash = ? AND kind = ? AND +ca = ? AND +serial = ?
        """

    /// Revokes what `notice` revokes among `held`, and notes it there. The update seeks the
    /// resident's rows by primary key (`+` keeps SQLite from going through the serial index).
    ///
    /// The revocation time is the effective time, but never later than now: a notice accepted
    /// within the tolerance for the future revokes from the moment it is applied. Notices may
    /// arrive out of order (a move reported after the death that followed it): a certificate
    /// that a notice revoked as of a later time is back-dated to this notice's effective time,
    /// with this notice's reason, since it was invalid from then on.
    private func apply(_ notice: NoticeApplication, to held: inout [HeldCertificate], nowSeconds: Int64,
                       tick: inout ListingTick, revoking revoke: Statement, db: Database) throws -> NoticeOutcome {
        let effective = StoredTime.seconds(notice.effectiveAt)
        let revokedAt = min(effective, nowSeconds)
        var matched = false
        var revoked: [NoticeRevocation] = []
        for index in held.indices where held[index].notAfter > effective && held[index].notBefore <= effective {
            let certificate = held[index]
            let laterNotice = certificate.revokedByNotice && (certificate.revokedAt ?? 0) > revokedAt
            guard certificate.status != .revoked || laterNotice else { continue }
            matched = true
            guard let reason = notice.kind.revocationReason(for: certificate.kind) else { continue }
            try revoke.execute(arguments: [revokedAt, reason.rawValue, try tick.value(db), notice.residentHash,
                                           certificate.kind.rawValue, certificate.ca, certificate.serial])
            held[index].status = .revoked
            held[index].revokedAt = revokedAt
            held[index].reason = reason
            revoked.append(NoticeRevocation(ca: certificate.ca, serial: certificate.serial, reason: reason))
        }
        return matched ? .applied(revoked: revoked) : .noMatch
    }

    /// How many notices are recorded (applied or without a match): each id once.
    public func noticeCount() throws -> Int {
        try writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM change_notice") ?? 0 }
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

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

/// Where the writer connection stands: SQLite's count of rows changed through it
/// (`sqlite3_total_changes`, rolled-back changes included) and its `data_version`, which changes
/// when another connection, such as another process, commits. Two equal marks mean nothing was
/// written in between.
public struct WriterMark: Sendable, Equatable {
    let changes: Int
    let dataVersion: Int

    init(_ db: Database) throws {
        changes = db.totalChangesCount
        dataVersion = try Int.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0
    }
}

/// What a batch of notices reads before it writes, read ahead by
/// ``CertificateDatabase/noticeLookahead(for:feed:during:beside:)``. It is used only for the batch
/// it was read for, and only if the transaction it was read during is the last one written before
/// the batch's own; otherwise the batch reads everything again.
public struct NoticeLookahead: Sendable {
    let batch: NoticeBatch
    let during: WriterMark
    /// The batch that the transaction marked `during` applies.
    let beside: NoticeBatch
    let feed: String
    let held: [Data: [CertificateDatabase.HeldCertificate]]
    let recorded: Set<String>
    /// The residents and notice ids that `beside` has too: its transaction may have changed them
    /// after the snapshot, so they are read again, and its ids are duplicates of this batch's.
    let touched: Set<Data>
    let touchedIDs: Set<String>
}

/// The last committed transaction of notices: where the writer stood before and after it, and
/// the batch it applied.
struct NoticeWrite: Sendable {
    let start: WriterMark
    let end: WriterMark
    let feed: String
    let batch: NoticeBatch

    /// Whether `batch` of `feed`, whose transaction begins at `start`, may use `lookahead`: only
    /// if it was read for that batch, during this transaction, beside this batch, for the same
    /// feed (ids are unique within a feed), and nothing was written since this one.
    func admits(_ lookahead: NoticeLookahead, for batch: NoticeBatch, feed: String, at start: WriterMark) -> Bool {
        lookahead.batch === batch && lookahead.beside === self.batch && lookahead.feed == feed && self.feed == feed
            && lookahead.during == self.start && end == start
    }
}

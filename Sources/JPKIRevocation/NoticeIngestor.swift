import Foundation
import JPKIConfiguration
import JPKIEnrollment
import JPKIStore
import Logging

/// What became of one line of notices: its single outcome, and for a rejected line why.
public struct NoticeResult: Sendable {
    public struct Revoked: Sendable, Equatable {
        public let issuer: String
        public let serial: String
        public let reason: String
    }

    public let line: Int
    public let noticeId: String?
    public let kind: String?
    public let outcome: String
    public let revoked: [Revoked]?
    public let error: RevocationError?

    /// The result as one JSON object with sorted keys: a line of the report file, an element
    /// of the HTTP answer. Written directly rather than through JSONEncoder, which would cost
    /// more than applying the notice (docs/BENCHMARKS.md).
    public var json: String {
        var fields: [String] = []
        if let error {
            var members = ["\"code\":" + JSONString.quoted(error.code.rawValue)]
            if let field = error.field { members.append("\"field\":" + JSONString.quoted(field)) }
            members.append("\"message\":" + JSONString.quoted(error.message))
            fields.append("\"error\":{" + members.joined(separator: ",") + "}")
        }
        if let kind { fields.append("\"kind\":" + JSONString.quoted(kind)) }
        fields.append("\"line\":\(line)")
        if let noticeId { fields.append("\"noticeId\":" + JSONString.quoted(noticeId)) }
        fields.append("\"outcome\":" + JSONString.quoted(outcome))
        if let revoked {
            let items = revoked.map {
                "{\"issuer\":\(JSONString.quoted($0.issuer)),\"reason\":\(JSONString.quoted($0.reason)),\"serial\":\(JSONString.quoted($0.serial))}"
            }
            fields.append("\"revoked\":[" + items.joined(separator: ",") + "]")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// Counts of outcomes over one ingestion.
public struct NoticeSummary: Sendable, Codable, Equatable {
    public var notices = 0
    public var applied = 0
    public var noMatch = 0
    public var duplicate = 0
    public var rejected = 0
    /// Certificates revoked by the applied notices.
    public var revoked = 0

    public init() {}

    mutating func count(_ outcome: NoticeOutcome) {
        notices += 1
        switch outcome {
        case .applied(let revocations):
            applied += 1
            revoked += revocations.count
        case .noMatch: noMatch += 1
        case .duplicate: duplicate += 1
        case .rejected: rejected += 1
        }
    }
}

/// Applies a stream of change notices, one JSON object per line, in batches.
///
/// Each batch is validated, then applied in one transaction (see
/// `CertificateDatabase.applyNotices`), so a crash loses at most the uncommitted batch, and
/// ingesting the same lines again records each committed notice as a duplicate and applies the
/// rest: every notice ends applied exactly once. Memory holds one batch being parsed and one
/// being written, whatever the length of the input. The next batch is parsed while the
/// previous one is written, which keeps both cores busy.
public struct NoticeIngestor: Sendable {
    public static let defaultBatchSize = 10_000

    let database: CertificateDatabase
    let validator: ChangeNoticeValidator
    let batchSize: Int
    let logger: Logger

    public init(runtime: ServiceRuntime, batchSize: Int = NoticeIngestor.defaultBatchSize, logger: Logger) {
        database = runtime.database
        validator = ChangeNoticeValidator(hasher: runtime.residentCodes,
                                          futureTolerance: runtime.configuration.service.noticeFutureTolerance)
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Ingests `lines` (blank lines are skipped but counted, so that line numbers match the
    /// file) from `feed`, which must have the registry-feed role. `source` names the input in
    /// the audit log. `report` receives each line's result, in order, once its batch has committed.
    public func ingest(lines: some Sequence<some Collection<UInt8>>, source: String, feed: Operator,
                       now: @Sendable () -> Date = Date.init,
                       report: (NoticeResult) throws -> Void) async throws -> NoticeSummary {
        guard feed.role == .registryFeed else {
            throw RevocationError(.roleNotPermitted, field: nil, "only the registry feed delivers change notices")
        }
        var summary = NoticeSummary()
        var writing: PendingBatch?
        var parsed = PendingBatch(capacity: batchSize)
        var number = 0
        var lines = lines.makeIterator()
        var exhausted = false
        while !exhausted || writing != nil {
            while !exhausted, parsed.entries.count < batchSize {
                guard let line = lines.next() else {
                    exhausted = true
                    break
                }
                number += 1
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
                    continue
                }
                parsed.add(validator.validate(line: line, number: number, feed: feed, now: now()), line: number)
            }
            // Batches are written one after another, in order. While one is written, the next
            // is parsed and the one before is reported.
            let committed = try await writing?.results()
            writing = nil
            if !parsed.entries.isEmpty {
                parsed.write(to: database, feed: feed.id, at: now())
                writing = parsed
                parsed = PendingBatch(capacity: batchSize)
            }
            do {
                for (outcome, result) in committed ?? [] {
                    summary.count(outcome)
                    try report(result)
                }
            } catch {
                // The batch already submitted still commits: wait for it, so that nothing is
                // left running unobserved when the error reaches the caller.
                _ = try? await writing?.results()
                throw error
            }
        }

        try database.audit(AuditEvent(actor: feed.id, action: "notices.ingested", details: [
            "source": source, "notices": "\(summary.notices)", "applied": "\(summary.applied)",
            "noMatch": "\(summary.noMatch)", "duplicate": "\(summary.duplicate)", "rejected": "\(summary.rejected)",
            "revoked": "\(summary.revoked)",
        ]), at: now())
        logger.info("change notices ingested", metadata: [
            "source": "\(source)", "feed": "\(feed.id)", "notices": "\(summary.notices)", "applied": "\(summary.applied)",
            "noMatch": "\(summary.noMatch)", "duplicate": "\(summary.duplicate)", "rejected": "\(summary.rejected)",
            "revoked": "\(summary.revoked)",
        ])
        return summary
    }

    static func result(_ entry: NoticeBatchEntry, _ outcome: NoticeOutcome, error: RevocationError?) -> NoticeResult {
        switch entry {
        case .rejected(let rejection):
            return NoticeResult(line: rejection.line, noticeId: rejection.noticeID, kind: rejection.kind,
                                outcome: outcome.name, revoked: nil, error: error)
        case .notice(let notice):
            var revoked: [NoticeResult.Revoked]?
            if case .applied(let revocations) = outcome {
                revoked = revocations.map { .init(issuer: $0.ca, serial: $0.serial, reason: $0.reason.name) }
            }
            return NoticeResult(line: notice.line, noticeId: notice.noticeID, kind: notice.kind.rawValue,
                                outcome: outcome.name, revoked: revoked, error: nil)
        }
    }
}

/// A batch of parsed lines, and once submitted, the transaction applying it.
struct PendingBatch {
    var entries: [NoticeBatchEntry] = []
    var errors: [Int: RevocationError] = [:]
    var task: Task<[NoticeOutcome], any Error>?

    init(capacity: Int) { entries.reserveCapacity(capacity) }

    mutating func add(_ validated: Result<NoticeApplication, NoticeLineRejection>, line: Int) {
        switch validated {
        case .success(let notice):
            entries.append(.notice(notice))
        case .failure(let rejection):
            errors[line] = rejection.error
            entries.append(.rejected(NoticeRejection(line: line, noticeID: rejection.noticeID, kind: rejection.kind,
                                                     code: rejection.error.code.rawValue, field: rejection.error.field)))
        }
    }

    mutating func write(to database: CertificateDatabase, feed: String, at now: Date) {
        let batch = entries
        task = Task { try await database.applyNotices(batch, feed: feed, at: now) }
    }

    /// Each line's outcome and result, once the transaction has committed.
    func results() async throws -> [(NoticeOutcome, NoticeResult)] {
        let outcomes = try await task!.value
        return zip(entries, outcomes).map { ($1, NoticeIngestor.result($0, $1, error: errors[$0.line])) }
    }
}

extension NoticeBatchEntry {
    var line: Int {
        switch self {
        case .notice(let notice): notice.line
        case .rejected(let rejection): rejection.line
        }
    }
}

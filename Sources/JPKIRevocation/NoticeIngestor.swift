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
        var json = "{"
        json.reserveCapacity(160)
        func field(_ name: String, _ value: String) {
            json += name
            JSONString.append(quoted: value, to: &json)
        }
        if let error {
            field("\"error\":{\"code\":", error.code.rawValue)
            if let name = error.field { field(",\"field\":", name) }
            field(",\"message\":", error.message)
            json += "},"
        }
        if let kind {
            field("\"kind\":", kind)
            json += ","
        }
        json += "\"line\":"
        json += String(line)
        if let noticeId { field(",\"noticeId\":", noticeId) }
        field(",\"outcome\":", outcome)
        if let revoked {
            json += ",\"revoked\":["
            for (index, certificate) in revoked.enumerated() {
                field(index == 0 ? "{\"issuer\":" : ",{\"issuer\":", certificate.issuer)
                field(",\"reason\":", certificate.reason)
                field(",\"serial\":", certificate.serial)
                json += "}"
            }
            json += "]"
        }
        json += "}"
        return json
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
    /// Notices per transaction. Larger batches share each commit's page writes among more
    /// notices and read the store in longer sorted runs: 40,000 applied 1,000,000 notices
    /// 1.3 × faster than 10,000, for some 300 MiB more memory (docs/BENCHMARKS.md).
    public static let defaultBatchSize = 40_000
    /// Notices per transaction for a batch posted over HTTP, to a running service: a smaller
    /// transaction holds the single writer, which enrollments wait for, a quarter as long.
    public static let httpBatchSize = 10_000

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
            // is parsed, its reads are done ahead, and the one before is reported. (Reading ahead
            // in slices as the batch is parsed was slower: each slice is a read transaction of
            // its own, which starts with SQLite's page cache emptied by the writer's commits.)
            if let writing, let written = writing.batch, !parsed.entries.isEmpty, let during = await writing.begun() {
                parsed.readAhead(in: database, feed: feed.id, during: during, beside: written)
            }
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

/// A batch of parsed lines, its reads done ahead, and once submitted, the transaction applying it.
struct PendingBatch {
    var entries: [NoticeBatchEntry] = []
    var errors: [Int: RevocationError] = [:]
    /// The entries as the store applies them, made once the batch is parsed.
    private(set) var batch: NoticeBatch?
    var lookahead: Task<NoticeLookahead, any Error>?
    var task: Task<[NoticeOutcome], any Error>?
    /// Yields the writer's mark once the transaction has begun; finishes without one if it failed first.
    private var started: AsyncStream<WriterMark>?

    init(capacity: Int) { entries.reserveCapacity(capacity) }

    /// Reads ahead what the batch reads, on a reader connection, while the transaction marked
    /// `during`, which applies `beside` (the batch before), is written.
    mutating func readAhead(in database: CertificateDatabase, feed: String, during: WriterMark, beside: NoticeBatch) {
        let batch = sealed()
        lookahead = Task { try await database.noticeLookahead(for: batch, feed: feed, during: during, beside: beside) }
    }

    /// The batch, made from the entries the first time it is asked for.
    private mutating func sealed() -> NoticeBatch {
        if let batch { return batch }
        let made = NoticeBatch(entries)
        batch = made
        return made
    }

    /// The writer's mark when the transaction began, or nil if it failed before.
    func begun() async -> WriterMark? {
        guard let started else { return nil }
        for await mark in started { return mark }
        return nil
    }

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
        let batch = sealed()
        let lookahead = lookahead
        let (started, starting) = AsyncStream.makeStream(of: WriterMark.self, bufferingPolicy: .bufferingNewest(1))
        self.started = started
        task = Task {
            defer { starting.finish() }
            // Without a lookahead (the first batch, or the read failed), the transaction reads for itself.
            let lookahead = try? await lookahead?.value
            return try await database.applyNotices(batch, feed: feed, at: now, lookahead: lookahead,
                                                   begun: { starting.yield($0) })
        }
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

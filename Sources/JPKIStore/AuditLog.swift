import Crypto
import Foundation
import GRDB
import JPKIProfile

/// One entry of the audit log, as recorded.
public struct AuditEntry: Sendable, Equatable {
    public let sequence: Int64
    public let recordedAt: String
    public let actor: String
    public let action: String
    /// JSON object text, stored and hashed verbatim. Never carries the resident code.
    public let details: String
}

/// What is about to be appended: who did what.
public struct AuditEvent: Sendable {
    public let actor: String
    public let action: String
    public let details: [String: String]

    public init(actor: String, action: String, details: [String: String]) {
        self.actor = actor
        self.action = action
        self.details = details
    }

    /// The details as a JSON object with sorted keys: one canonical text per event, which is
    /// what the chain hashes. Strings are escaped as RFC 8259 §7 requires.
    var detailsJSON: String {
        JSONString.object(details.sorted { $0.key < $1.key })
    }

    /// The event with its details written, ready for the chain.
    var prepared: PreparedAuditEvent {
        PreparedAuditEvent(actor: actor, action: action, detailsJSON: detailsJSON)
    }
}

/// An event with its details already written as the chain hashes them (``AuditEvent/detailsJSON``):
/// made by the caller, before a group commit's one writer, which every caller of the group
/// waits for, takes it to hash and insert.
struct PreparedAuditEvent: Sendable {
    let actor: String
    let action: String
    let detailsJSON: String
}

/// An event as one line of a group entry (``CertificateDatabase/audit(group:actor:action:at:)``):
/// its details with its `actor` and `action`, as one JSON object with sorted keys.
///
/// Made where the event happens (for a verifier request, on the connection's event loop), so
/// that the one committer, which writes a group's lines one after another while the group's
/// callers wait, only joins them.
public struct AuditLine: Sendable {
    let text: String

    public init(_ event: AuditEvent) {
        var fields = event.details.compactMap { $0.key == "actor" || $0.key == "action" ? nil : (key: $0.key, value: $0.value) }
        fields += [(key: "actor", value: event.actor), (key: "action", value: event.action)]
        fields.sort { $0.key < $1.key }
        text = JSONString.object(fields)
    }
}

/// The append-only, hash-chained audit log.
///
/// Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields, so
/// that changing, removing or reordering any entry breaks every hash after it. Triggers refuse
/// UPDATE and DELETE; the chain catches what bypasses SQLite (an edited file). Entries are
/// appended inside the transaction of the action they record, so an action and its record
/// commit or vanish together.
public enum AuditLog {
    static let genesisHash = Data(count: 32)

    static func entryHash(previous: Data, sequence: Int64, recordedAt: String, actor: String,
                          action: String, details: String) -> Data {
        var hasher = SHA256()
        hasher.update(data: previous)
        for var field in ["\(sequence)", recordedAt, actor, action, details] {
            field.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            withUnsafeBytes(of: UInt8(0)) { hasher.update(bufferPointer: $0) }
        }
        return Data(hasher.finalize())
    }

    /// `2026-11-21T20:43:52.123Z`: RFC 3339 in UTC with milliseconds.
    public static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let day = CalendarDate(daysSinceEpoch: days)
        let second = seconds - days * 86_400
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let millis = milliseconds - seconds * 1000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(day)T\(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60)).\(fraction)Z"
    }

    /// Appends `event` within the caller's transaction.
    static func append(_ event: AuditEvent, at date: Date, in db: Database) throws {
        var chain = try Chain(db)
        try chain.append(event, at: date, in: db)
    }

    /// The end of the chain within one transaction: appending many entries reads the last one
    /// once, not per entry (a bulk revocation appends one per certificate).
    struct Chain {
        private var sequence: Int64
        private var hash: Data
        /// The last time formatted: a batch records all its entries at one instant.
        private var formatted: (date: Date, text: String)?

        init(_ db: Database) throws {
            let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT sequence, entry_hash FROM audit_log ORDER BY sequence DESC LIMIT 1"))
            sequence = last?["sequence"] ?? 0
            hash = last?["entry_hash"] ?? AuditLog.genesisHash
        }

        mutating func append(_ event: AuditEvent, at date: Date, in db: Database) throws {
            try append(event.prepared, at: date, in: db)
        }

        mutating func append(_ event: PreparedAuditEvent, at date: Date, in db: Database) throws {
            try db.cachedStatement(sql: """
                INSERT INTO audit_log (sequence, recorded_at, actor, action, details, previous_hash, entry_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: StatementArguments(link(event, at: date)))
        }

        /// The next entry's column values, and the chain advanced past it.
        private mutating func link(_ event: PreparedAuditEvent, at date: Date) -> [DatabaseValue] {
            let next = sequence + 1
            let recordedAt = formatted?.date == date ? formatted!.text : AuditLog.timestamp(date)
            formatted = (date, recordedAt)
            let details = event.detailsJSON
            let entryHash = AuditLog.entryHash(previous: hash, sequence: next, recordedAt: recordedAt,
                                               actor: event.actor, action: event.action, details: details)
            defer {
                sequence = next
                hash = entryHash
            }
            return [next.databaseValue, recordedAt.databaseValue, event.actor.databaseValue, event.action.databaseValue,
                    details.databaseValue, hash.databaseValue, entryHash.databaseValue]
        }
    }

    /// The outcome of checking the chain.
    public enum Verification: Sendable, Equatable {
        case intact(entries: Int64)
        /// The first entry whose stored hashes do not match its contents or its predecessor.
        case broken(atSequence: Int64, reason: String)
    }
}

extension CertificateDatabase {
    /// Appends an administrative event in a transaction of its own.
    public func audit(_ event: AuditEvent, at date: Date = Date()) throws {
        try writer.write { try AuditLog.append(event, at: date, in: $0) }
    }

    /// Appends `lines`, events which arrived together, as one entry of the chain: `actor` and
    /// `action` name the group, and the details hold `count` and `events`, one JSON object per
    /// line (``AuditLine``), in arrival order. Verifier requests by
    /// the thousand a second are recorded so: every request has its line, and the chain covers
    /// every line, at the cost of one entry per commit rather than one per request (as change
    /// notices are recorded one entry per batch).
    public func audit(group lines: [AuditLine], actor: String, action: String, at date: Date) async throws {
        let events = lines.map(\.text).joined(separator: "\n")
        try await writer.write { db in
            try AuditLog.append(AuditEvent(actor: actor, action: action, details: [
                "count": "\(lines.count)", "events": events,
            ]), at: date, in: db)
        }
    }

    /// Walks the whole chain in order, streaming rows, and names the first broken entry.
    public func verifyAuditLog() throws -> AuditLog.Verification {
        try writer.read { db in
            var expectedPrevious = AuditLog.genesisHash
            var expectedSequence: Int64 = 1
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY sequence")
            while let row = try rows.next() {
                let sequence: Int64 = row["sequence"]
                guard sequence == expectedSequence else {
                    return .broken(atSequence: expectedSequence, reason: "entry missing: the next entry is \(sequence)")
                }
                let previous: Data = row["previous_hash"]
                guard previous == expectedPrevious else {
                    return .broken(atSequence: sequence, reason: "previous_hash does not match the entry before it")
                }
                let recomputed = AuditLog.entryHash(previous: previous, sequence: sequence, recordedAt: row["recorded_at"],
                                                    actor: row["actor"], action: row["action"], details: row["details"])
                guard recomputed == row["entry_hash"] as Data else {
                    return .broken(atSequence: sequence, reason: "entry_hash does not match the entry's contents")
                }
                expectedPrevious = recomputed
                expectedSequence += 1
            }
            return .intact(entries: expectedSequence - 1)
        }
    }

    /// The most recent audit entries, newest first.
    public func recentAuditEntries(limit: Int) throws -> [AuditEntry] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY sequence DESC LIMIT ?", arguments: [limit]).map {
                AuditEntry(sequence: $0["sequence"], recordedAt: $0["recorded_at"], actor: $0["actor"],
                           action: $0["action"], details: $0["details"])
            }
        }
    }
}

import Foundation
import GRDB
import Testing
@testable import JPKIStore

@Suite("The hash-chained audit log")
struct AuditLogTests {
    func database() throws -> CertificateDatabase {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).sqlite").path
        return try CertificateDatabase(path: path)
    }

    func fill(_ db: CertificateDatabase, count: Int) throws {
        for i in 1...count {
            try db.audit(AuditEvent(actor: "admin", action: "test.event", details: ["n": "\(i)"]))
        }
    }

    @Test func anUntouchedChainIsIntact() throws {
        let db = try database()
        #expect(try db.verifyAuditLog() == .intact(entries: 0))
        try fill(db, count: 5)
        #expect(try db.verifyAuditLog() == .intact(entries: 5))
    }

    @Test func updatesAndDeletesAreRefused() throws {
        let db = try database()
        try fill(db, count: 2)
        #expect(throws: DatabaseError.self) { try db.writer.write { try $0.execute(sql: "UPDATE audit_log SET actor = 'x'") } }
        #expect(throws: DatabaseError.self) { try db.writer.write { try $0.execute(sql: "DELETE FROM audit_log WHERE sequence = 1") } }
        #expect(try db.verifyAuditLog() == .intact(entries: 2))
    }

    /// Someone with the file drops the triggers and edits an entry: the chain names that entry.
    @Test func anEditedEntryIsNamed() throws {
        let db = try database()
        try fill(db, count: 6)
        try db.writer.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update")
            try db.execute(sql: #"UPDATE audit_log SET details = '{"n":"999"}' WHERE sequence = 4"#)
        }
        #expect(try db.verifyAuditLog() == .broken(atSequence: 4, reason: "entry_hash does not match the entry's contents"))
    }

    @Test func aRemovedEntryIsNamed() throws {
        let db = try database()
        try fill(db, count: 6)
        try db.writer.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_delete")
            try db.execute(sql: "DELETE FROM audit_log WHERE sequence = 3")
        }
        guard case .broken(let sequence, _) = try db.verifyAuditLog() else {
            Issue.record("a gap in the chain went unnoticed")
            return
        }
        #expect(sequence == 3)
    }

    @Test func aRecomputedHashStillBreaksTheNextLink() throws {
        let db = try database()
        try fill(db, count: 4)
        // The forger recomputes entry 2's own hash, but entry 3 still names the old one.
        try db.writer.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update")
            let row = try Row.fetchOne(db, sql: "SELECT * FROM audit_log WHERE sequence = 2")!
            let details = #"{"n":"forged"}"#
            let hash = AuditLog.entryHash(previous: row["previous_hash"], sequence: 2, recordedAt: row["recorded_at"],
                                          actor: row["actor"], action: row["action"], details: details)
            try db.execute(sql: "UPDATE audit_log SET details = ?, entry_hash = ? WHERE sequence = 2", arguments: [details, hash])
        }
        #expect(try db.verifyAuditLog() == .broken(atSequence: 3, reason: "previous_hash does not match the entry before it"))
    }

    /// Asked of the writer connection, the one that commits: a pool sets its writer to
    /// `synchronous = NORMAL` when it enables WAL, while its readers, which never commit, keep
    /// SQLite's default.
    @Test func theDatabaseIsInWALModeAndItsWriterCommitsWithFullSync() throws {
        let db = try database()
        let (journal, synchronous) = try db.writer.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)
        #expect(try db.appliedMigrations() == ["v1: certificates and audit log", "v2: holds, change notices, certificates clustered by resident",
                                               "v3: CRL listing clock, releases, numbers and publications",
                                               "v4: OCSP responders and pre-signed responses, residents' latest four items"])
    }
}

@Suite("Audit entry encoding")
struct AuditEncodingTests {
    @Test func detailsAreCanonicalJSON() throws {
        let event = AuditEvent(actor: "a", action: "b", details: ["z": "1", "a": "quote \" slash \\ line\n bell \u{07} 住所"])
        #expect(event.detailsJSON == #"{"a":"quote \" slash \\ line\n bell \u0007 住所","z":"1"}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(event.detailsJSON.utf8)) as? [String: String]
        #expect(parsed == event.details)
    }

    /// A line of a group entry: the event's details with its actor and action, keys sorted, and
    /// the actor and action given by the event, not by details of the same name.
    @Test func groupLinesCarryTheActorAndAction() throws {
        let event = AuditEvent(actor: "bench", action: "verifier.validity",
                               details: ["serial": "0a", "ca": "13/signing", "answer": "say \"good\"", "actor": "forged",
                                         "action": "forged"])
        let line = AuditLine(event).text
        #expect(line == #"{"action":"verifier.validity","actor":"bench","answer":"say \"good\"","ca":"13/signing","serial":"0a"}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        #expect(parsed == ["action": "verifier.validity", "actor": "bench", "answer": "say \"good\"", "ca": "13/signing", "serial": "0a"])
    }

    @Test func timestampsAreRFC3339UTCWithMilliseconds() {
        #expect(AuditLog.timestamp(Date(timeIntervalSince1970: 1_795_273_199.5)) == "2026-11-21T14:59:59.500Z")
        #expect(AuditLog.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(AuditLog.timestamp(Date(timeIntervalSince1970: 951_782_400.007)) == "2000-02-29T00:00:00.007Z")
    }
}

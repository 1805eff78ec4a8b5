import Foundation
import GRDB

/// The CA's SQLite database: WAL mode, `synchronous = FULL` so that a committed transaction
/// survives a crash of the process or the machine, and versioned migrations.
///
/// Only this module writes SQL; the rest of the service calls the methods on this type
/// (certificates in CertificateRepository.swift, the audit log in AuditLog.swift).
public final class CertificateDatabase: Sendable {
    let writer: DatabasePool

    public init(path: String) throws {
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(10)
        writer = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(writer)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: certificates and audit log") { db in
            try db.execute(sql: """
                CREATE TABLE certificate (
                    ca TEXT NOT NULL,                  -- e.g. 13/signing
                    serial TEXT NOT NULL,              -- lowercase hex, no leading zero octet
                    kind TEXT NOT NULL,
                    municipality TEXT NOT NULL,
                    partition TEXT NOT NULL,           -- CRL partition, fixed at issuance
                    resident_hash BLOB NOT NULL,       -- HMAC-SHA256 of the resident code, never the code
                    not_before INTEGER NOT NULL,       -- times: Unix seconds (see StoredTime)
                    not_after INTEGER NOT NULL,
                    issued_at INTEGER NOT NULL,
                    issued_by TEXT NOT NULL,
                    status TEXT NOT NULL,
                    revoked_at INTEGER,
                    revocation_reason INTEGER,         -- RFC 5280 §5.3.1 CRLReason
                    successor_ca TEXT,
                    successor_serial TEXT,
                    der BLOB NOT NULL,
                    PRIMARY KEY (ca, serial)
                ) WITHOUT ROWID;
                CREATE INDEX certificate_by_resident ON certificate(resident_hash, kind, status);
                CREATE INDEX certificate_by_partition ON certificate(ca, partition, status);

                CREATE TABLE audit_log (
                    sequence INTEGER PRIMARY KEY,
                    recorded_at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    details TEXT NOT NULL,
                    previous_hash BLOB NOT NULL,
                    entry_hash BLOB NOT NULL
                );
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
        migrator.registerMigration("v2: holds and change notices") { db in
            // Holds need no new column: a suspended certificate has status 'suspended' and its
            // revoked_at / revocation_reason (certificateHold) until it is resumed or revoked.
            try db.execute(sql: """
                CREATE TABLE change_notice (
                    notice_id TEXT PRIMARY KEY,        -- unique within the feed: the exactly-once key
                    kind TEXT NOT NULL,
                    outcome TEXT NOT NULL,             -- applied | no-match
                    effective_at INTEGER NOT NULL,
                    ingested_at INTEGER NOT NULL,
                    feed TEXT NOT NULL,                -- the operator that delivered it
                    revoked INTEGER NOT NULL           -- certificates it revoked
                ) WITHOUT ROWID;
                CREATE INDEX change_notice_by_time ON change_notice(ingested_at);

                CREATE TABLE notice_rejection (
                    id INTEGER PRIMARY KEY,
                    notice_id TEXT,                    -- when the line had one
                    kind TEXT,
                    code TEXT NOT NULL,
                    field TEXT,
                    line INTEGER,
                    rejected_at INTEGER NOT NULL,
                    feed TEXT NOT NULL
                );
                CREATE INDEX notice_rejection_by_time ON notice_rejection(rejected_at);
                """)
        }
        return migrator
    }

    /// The names of applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try writer.read { try Self.migrator.appliedMigrations($0) }
    }
}

import Foundation
import GRDB
import Synchronization

/// The CA's SQLite database: WAL mode, `synchronous = FULL` so that a committed transaction
/// survives a crash of the process or the machine, and versioned migrations.
///
/// Only this module writes SQL; the rest of the service calls the methods on this type
/// (certificates in CertificateRepository.swift, the audit log in AuditLog.swift).
public final class CertificateDatabase: Sendable {
    let writer: DatabasePool
    /// Issuances, committed in groups (``recordIssuance(_:fourItems:actor:at:)``).
    let issuances: GroupCommit
    /// The last transaction of change notices, against which a lookahead is checked.
    let lastNoticeWrite = Mutex<NoticeWrite?>(nil)
    private let checkpointer: WALCheckpointer
    /// The CRL partitions committed to `crl_partition`: an issuance inserts its partition only
    /// if it is not among them (a CA has a bounded number, fixed by its configuration), and adds
    /// it here once its transaction has committed.
    let recordedPartitions = Mutex<Set<RecordedPartition>>([])

    public init(path: String) throws {
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // Page cache, filled as pages are touched (SQLite's default is 2 MiB): 128 MiB for the
            // one writer, which matches change notices by the million against random residents
            // (at 1,000,000 residents this cache made ingestion 1.27 × faster than 32 MiB,
            // docs/BENCHMARKS.md); 16 MiB for each reader, which serve single lookups.
            try db.execute(sql: db.configuration.readonly ? "PRAGMA cache_size = -16384" : "PRAGMA cache_size = -131072")
            // The WAL is copied back into the database by WALCheckpointer, off the writer's
            // commits. But SQLite starts the WAL over only at a write transaction that begins with
            // every frame copied back, which back-to-back batches of change notices never give:
            // the WAL keeps growing (some 120 MiB a batch) until a commit past this threshold
            // checkpoints, and that commit waits for the copy and the database file's fsync
            // (half a second). At 262144 pages (1 GiB) that happens every eighth batch rather than
            // every second or third (docs/BENCHMARKS.md, session 8).
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 262144")
        }
        configuration.busyMode = .timeout(10)
        writer = try DatabasePool(path: path, configuration: configuration)
        // Only now: a pool puts its writer in WAL mode after `prepareDatabase`, and sets
        // `synchronous = NORMAL` with it, under which a commit does not wait for the disk and the
        // last transactions acknowledged before a power cut can be lost. The setting is per
        // connection, and a pool keeps its one writer connection for its whole life.
        try writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(writer)
        let checkpointer = try WALCheckpointer(path: path, configuration: configuration)
        self.checkpointer = checkpointer
        issuances = GroupCommit(writer: writer, afterGroup: checkpointer.restartIfDue)
    }

    deinit {
        checkpointer.stop()
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
        migrator.registerMigration("v2: holds, change notices, certificates clustered by resident") { db in
            // Holds need no new column: a suspended certificate has status 'suspended' and its
            // revoked_at / revocation_reason (certificateHold) until it is resumed or revoked.
            //
            // The certificate table is rebuilt for revocation at the scale of change notices
            // (SQLite's documented procedure: create, copy, drop, rename):
            // - clustered by resident: a notice finds all of a resident's certificates in one
            //   leaf page, and revoking them rewrites that one page, not one page per certificate
            //   plus a page of a resident index;
            // - the DER in a table of its own: written once, read rarely, and never rewritten with
            //   the status columns (a rowid table: a WITHOUT ROWID b-tree spills rows over ~1 KB
            //   into overflow pages of 4 KB, which would triple the file);
            // - CRL entries in a partial index by partition and revocation time: only certificates
            //   that are not valid are in it, and a revocation lands near the end of its
            //   partition's range, so batches of revocations keep touching the same few pages.
            try db.execute(sql: """
                CREATE TABLE certificate_der (
                    ca TEXT NOT NULL,
                    serial TEXT NOT NULL,
                    der BLOB NOT NULL,
                    UNIQUE (ca, serial)
                );
                INSERT INTO certificate_der (ca, serial, der) SELECT ca, serial, der FROM certificate;

                CREATE TABLE certificate_v2 (
                    resident_hash BLOB NOT NULL,       -- HMAC-SHA256 of the resident code, never the code
                    kind TEXT NOT NULL,
                    ca TEXT NOT NULL,                  -- e.g. 13/signing
                    serial TEXT NOT NULL,              -- lowercase hex, no leading zero octet
                    municipality TEXT NOT NULL,
                    partition TEXT NOT NULL,           -- CRL partition, fixed at issuance
                    not_before INTEGER NOT NULL,       -- times: Unix seconds (see StoredTime)
                    not_after INTEGER NOT NULL,
                    issued_at INTEGER NOT NULL,
                    issued_by TEXT NOT NULL,
                    status TEXT NOT NULL,              -- valid | suspended | revoked
                    revoked_at INTEGER,
                    revocation_reason INTEGER,         -- RFC 5280 §5.3.1 CRLReason
                    successor_ca TEXT,
                    successor_serial TEXT,
                    PRIMARY KEY (resident_hash, kind, ca, serial)
                ) WITHOUT ROWID;
                INSERT INTO certificate_v2 (resident_hash, kind, ca, serial, municipality, partition, not_before, not_after,
                    issued_at, issued_by, status, revoked_at, revocation_reason, successor_ca, successor_serial)
                SELECT resident_hash, kind, ca, serial, municipality, partition, not_before, not_after,
                    issued_at, issued_by, status, revoked_at, revocation_reason, successor_ca, successor_serial
                FROM certificate;
                DROP TABLE certificate;
                ALTER TABLE certificate_v2 RENAME TO certificate;
                CREATE UNIQUE INDEX certificate_by_serial ON certificate(ca, serial);
                CREATE INDEX certificate_listed_by_partition ON certificate(ca, partition, revoked_at) WHERE status <> 'valid';

                CREATE TABLE change_notice (
                    feed TEXT NOT NULL,                -- the operator that delivered it
                    notice_id TEXT NOT NULL,           -- unique within the feed
                    kind TEXT NOT NULL,
                    outcome TEXT NOT NULL,             -- applied | no-match
                    effective_at INTEGER NOT NULL,
                    ingested_at INTEGER NOT NULL,
                    revoked INTEGER NOT NULL,          -- certificates it revoked
                    PRIMARY KEY (feed, notice_id)      -- the exactly-once key
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
        migrator.registerMigration("v3: CRL listing clock, releases, numbers and publications") { db in
            // What a CRL and its delta need (RFC 5280 §5.2.3, §5.2.4):
            // - crl_clock: one counter, advanced by every transaction that changes what a CRL
            //   lists. Each certificate records the tick at which its entry last changed
            //   (listed_tick), so a delta finds the changes since its base by an index range, and
            //   a CRL read in one snapshot knows exactly which changes it contains: every later
            //   change carries a larger tick. Revocation times cannot serve, as a change notice
            //   back-dates a revocation to its effective time.
            // - invalidity_date: when a suspended certificate is revoked, the hold's time, the
            //   moment the card was reported lost (RFC 5280 §5.3.2).
            // - the partial index covers every column a CRL reads (status too: SQLite checks the
            //   query's `status <> 'valid'` against the row), so generating a CRL reads the index
            //   alone, in partition order.
            // - crl_release: holds lifted, for removeFromCRL in deltas.
            // - crl_partition: every partition that some certificate names, filled at issuance.
            // - crl_number: the last number given to each partition's CRLs: full and delta CRLs
            //   of a partition share one sequence (§5.2.3), reserved before signing, never reused.
            // - crl_publication: what was published, for HTTP validators and the next delta.
            try db.execute(sql: """
                ALTER TABLE certificate ADD COLUMN listed_tick INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE certificate ADD COLUMN invalidity_date INTEGER;
                DROP INDEX certificate_listed_by_partition;
                CREATE INDEX certificate_listed_by_partition ON certificate(
                    ca, partition, listed_tick, serial, revoked_at, revocation_reason, invalidity_date, not_after, status)
                    WHERE status <> 'valid';

                CREATE TABLE crl_clock (id INTEGER PRIMARY KEY CHECK (id = 1), tick INTEGER NOT NULL);
                INSERT INTO crl_clock (id, tick) VALUES (1, 0);

                CREATE TABLE crl_partition (
                    ca TEXT NOT NULL,
                    partition TEXT NOT NULL,
                    PRIMARY KEY (ca, partition)
                ) WITHOUT ROWID;
                INSERT INTO crl_partition (ca, partition) SELECT DISTINCT ca, partition FROM certificate;

                CREATE TABLE crl_release (
                    ca TEXT NOT NULL,
                    partition TEXT NOT NULL,
                    released_tick INTEGER NOT NULL,
                    serial TEXT NOT NULL,
                    released_at INTEGER NOT NULL,
                    PRIMARY KEY (ca, partition, released_tick, serial)
                ) WITHOUT ROWID;

                CREATE TABLE crl_number (
                    ca TEXT NOT NULL,
                    partition TEXT NOT NULL,           -- a partition id, or 'arl'
                    last_number INTEGER NOT NULL,
                    PRIMARY KEY (ca, partition)
                ) WITHOUT ROWID;

                CREATE TABLE crl_publication (
                    ca TEXT NOT NULL,
                    partition TEXT NOT NULL,
                    number INTEGER NOT NULL,
                    scope TEXT NOT NULL,               -- full | delta
                    base_number INTEGER,               -- a delta's base CRL
                    tick INTEGER NOT NULL,             -- the listing clock the CRL was read at
                    this_update INTEGER NOT NULL,
                    next_update INTEGER NOT NULL,
                    entries INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    sha256 BLOB NOT NULL,
                    PRIMARY KEY (ca, partition, number)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v4: OCSP responders and pre-signed responses, residents' latest four items") { db in
            // What the OCSP responder (RFC 6960, RFC 5019) and the verifier API need:
            // - ocsp_responder: each CA's delegated responder certificates with their keys,
            //   encrypted as the CA keys are (PKCS#8, RFC 5958 §3). Old ones stay until they
            //   expire: responses they signed are still served.
            // - ocsp_response: one pre-signed response per certificate, its ResponseData and
            //   signature (the responder certificate is added as it is served), with the status
            //   it states, for the JSON validity API, and when it is due to be re-signed.
            // - ocsp_pending: certificates issued and not yet given a response, queued in the
            //   issuance's own transaction so that none is missed across a crash.
            // - ocsp_clock: the CRL listing clock (crl_clock) up to which status changes have
            //   been re-signed: every revocation, hold and resumption advances that clock.
            // - resident_four_items: the latest four items of each resident (by keyed hash), from
            //   enrollment and change notices, for government verifiers (公的個人認証法 §18 ⑤).
            try db.execute(sql: """
                CREATE TABLE ocsp_responder (
                    id INTEGER PRIMARY KEY,
                    ca TEXT NOT NULL,
                    not_before INTEGER NOT NULL,
                    not_after INTEGER NOT NULL,
                    certificate BLOB NOT NULL,
                    private_key BLOB NOT NULL          -- EncryptedPrivateKeyInfo DER
                );
                CREATE TABLE ocsp_response (
                    ca TEXT NOT NULL,
                    serial TEXT NOT NULL,
                    responder INTEGER NOT NULL REFERENCES ocsp_responder(id),
                    this_update INTEGER NOT NULL,
                    next_update INTEGER NOT NULL,
                    refresh_at INTEGER NOT NULL,       -- when it is to be re-signed
                    status TEXT NOT NULL,              -- valid | suspended | revoked, as when signed
                    revoked_at INTEGER,
                    revocation_reason INTEGER,
                    response_data BLOB NOT NULL,
                    signature BLOB NOT NULL,
                    PRIMARY KEY (ca, serial)
                ) WITHOUT ROWID;
                CREATE INDEX ocsp_response_by_refresh ON ocsp_response(refresh_at);
                CREATE TABLE ocsp_pending (
                    id INTEGER PRIMARY KEY,
                    ca TEXT NOT NULL,
                    serial TEXT NOT NULL
                );
                INSERT INTO ocsp_pending (ca, serial) SELECT ca, serial FROM certificate
                    WHERE not_after > CAST(strftime('%s', 'now') AS INTEGER);
                CREATE TABLE ocsp_clock (id INTEGER PRIMARY KEY CHECK (id = 1), tick INTEGER NOT NULL);
                INSERT INTO ocsp_clock (id, tick) SELECT 1, tick FROM crl_clock;

                CREATE TABLE resident_four_items (
                    resident_hash BLOB PRIMARY KEY,    -- HMAC-SHA256 of the resident code, never the code
                    name TEXT NOT NULL,
                    name_substitute_map TEXT NOT NULL,
                    date_of_birth TEXT NOT NULL,       -- YYYY-MM-DD
                    sex TEXT NOT NULL,                 -- 1 male, 2 female (the JPKI sex item)
                    address TEXT NOT NULL,
                    address_substitute_map TEXT NOT NULL,
                    as_of INTEGER NOT NULL             -- when these items took effect
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }

    /// The names of applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try writer.read { try Self.migrator.appliedMigrations($0) }
    }
}

import Foundation
import GRDB
import JPKIProfile

/// Failures of the store that a caller can act on.
public enum StoreError: Error, Sendable, Equatable {
    /// A serial the CA already used: the caller draws a new one and signs again.
    case duplicateSerial(ca: String, serial: String)
    /// No certificate of that CA has that serial.
    case unknownCertificate(ca: String, serial: String)
    /// The certificate cannot make this change from where it stands (a revoked one can change
    /// no more; only a suspended one can be resumed).
    case transitionNotAllowed(StatusChange, from: CertificateStatus)
}

/// A CA's CRL partition, as `crl_partition` lists it.
struct RecordedPartition: Hashable, Sendable {
    let ca: String
    let partition: String
}

extension CertificateDatabase {
    /// Records newly signed certificates, all or nothing, in one transaction. For each:
    /// - any valid or suspended certificate of the same kind held by the same resident (matched by
    ///   keyed hash) is revoked as `superseded` and linked to it;
    /// - any certificate of the same kind that a change notice revoked (`affiliationChanged`) and
    ///   that has no successor yet is linked to it, so that a government verifier can follow an
    ///   old certificate to the current one after a move or a name change;
    /// - every change is appended to the audit log;
    /// - each certificate is queued for its first OCSP response (`ocsp_pending`);
    /// - `fourItems`, the items the desk confirmed, become the resident's latest.
    ///
    /// Returns the supersessions and links it made. Nothing is written if anything fails.
    /// Issuances that arrive together commit together (``GroupCommit``: written one after
    /// another; if one throws, written again each in a savepoint of its own), and each call
    /// returns once its certificates are durable.
    public func recordIssuance(_ records: [CertificateRecord], fourItems: BasicFourItems? = nil, actor: String,
                               at now: Date) async throws -> [Supersession] {
        let nowSeconds = StoredTime.seconds(now)
        let partitions = records.map { RecordedPartition(ca: $0.ca, partition: $0.partition) }
        let recorded = recordedPartitions.withLock { known in partitions.map(known.contains) }
        // Written before the group's writer takes them (PreparedAuditEvent).
        let issuedEvents = records.map { record in
            AuditEvent(actor: actor, action: "certificate.issued", details: [
                "ca": record.ca, "serial": record.serial, "kind": record.kind.rawValue,
                "municipality": record.municipality.value, "partition": record.partition,
                "notAfter": AuditLog.timestamp(record.notAfter),
            ]).prepared
        }
        let links = try await issuances.write { db in
            var chain = try AuditLog.Chain(db)
            var tick = ListingTick()
            var links: [Supersession] = []
            for (index, record) in records.enumerated() {
                let predecessors = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT ca, serial, status, revocation_reason FROM certificate
                    WHERE resident_hash = ? AND kind = ? AND (
                        (status IN ('valid', 'suspended') AND not_after > ?)
                        OR (status = 'revoked' AND revocation_reason = ? AND successor_serial IS NULL))
                    """), arguments: [record.residentHash, record.kind.rawValue, nowSeconds,
                                      RevocationReason.affiliationChanged.rawValue])
                for row in predecessors {
                    let status: String = row["status"]
                    let link = Supersession(ca: row["ca"], serial: row["serial"], successorCA: record.ca,
                                            successorSerial: record.serial, revoked: status != CertificateStatus.revoked.rawValue)
                    if link.revoked {
                        try db.cachedStatement(sql: """
                            UPDATE certificate SET status = 'revoked', revoked_at = ?, revocation_reason = ?,
                                invalidity_date = CASE status WHEN 'suspended' THEN revoked_at END,
                                successor_ca = ?, successor_serial = ?, listed_tick = ?
                            WHERE ca = ? AND serial = ?
                            """).execute(arguments: [nowSeconds, RevocationReason.superseded.rawValue, link.successorCA,
                                                     link.successorSerial, try tick.value(db), link.ca, link.serial])
                    } else {
                        try db.cachedStatement(sql: """
                            UPDATE certificate SET successor_ca = ?, successor_serial = ? WHERE ca = ? AND serial = ?
                            """).execute(arguments: [link.successorCA, link.successorSerial, link.ca, link.serial])
                    }
                    links.append(link)
                }
                do {
                    try db.cachedStatement(sql: """
                        INSERT INTO certificate (ca, serial, kind, municipality, partition, resident_hash, not_before,
                            not_after, issued_at, issued_by, status)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'valid')
                        """).execute(arguments: [record.ca, record.serial, record.kind.rawValue, record.municipality.value,
                                                 record.partition, record.residentHash, StoredTime.seconds(record.notBefore),
                                                 StoredTime.seconds(record.notAfter), StoredTime.seconds(record.issuedAt),
                                                 record.issuedBy])
                    try db.cachedStatement(sql: "INSERT INTO certificate_der (ca, serial, der) VALUES (?, ?, ?)")
                        .execute(arguments: [record.ca, record.serial, record.der])
                    if !recorded[index] {
                        try db.cachedStatement(sql: "INSERT OR IGNORE INTO crl_partition (ca, partition) VALUES (?, ?)")
                            .execute(arguments: [record.ca, record.partition])
                    }
                    try db.cachedStatement(sql: "INSERT INTO ocsp_pending (ca, serial) VALUES (?, ?)")
                        .execute(arguments: [record.ca, record.serial])
                } catch let error as DatabaseError
                    where [.SQLITE_CONSTRAINT_PRIMARYKEY, .SQLITE_CONSTRAINT_UNIQUE].contains(error.extendedResultCode) {
                    // (ca, serial) is unique through certificate_by_serial, and certificate_der's key.
                    throw StoreError.duplicateSerial(ca: record.ca, serial: record.serial)
                }
                try chain.append(issuedEvents[index], at: now, in: db)
            }
            if let fourItems, let resident = records.first?.residentHash {
                try Self.recordFourItems(fourItems, residentHash: resident, asOf: nowSeconds, db: db)
            }
            for link in links {
                var details = ["ca": link.ca, "serial": link.serial, "successorCA": link.successorCA,
                               "successorSerial": link.successorSerial]
                if link.revoked { details["reason"] = RevocationReason.superseded.name }
                try chain.append(AuditEvent(actor: actor, action: link.revoked ? "certificate.revoked" : "certificate.linked",
                                            details: details), at: now, in: db)
            }
            return links
        }
        recordedPartitions.withLock { $0.formUnion(partitions) }
        return links
    }

    /// When the resident's valid certificates of each kind expire: what the renewal rule needs
    /// (CertificateLifetime). Reads only the expiry column, through the resident index.
    ///
    /// Synchronous, on the caller's thread: the read touches a few cached pages, and GRDB's
    /// asynchronous read would cost two thread hops more than the read itself (docs/BENCHMARKS.md,
    /// session 10). It waits only if every reader of the pool (GRDB's default, 5) is busy; the
    /// other readers are asynchronous and give theirs back without needing this thread.
    ///
    /// One SELECT needs no transaction around it to see one state of the store: SQLite runs a
    /// lone statement in a read transaction of its own. GRDB's `read` would wrap it in
    /// `BEGIN DEFERRED` … `COMMIT`, two more statements per enrollment (a quarter of this
    /// lookup's CPU, docs/BENCHMARKS.md, session 11), so it runs through `unsafeRead`.
    public func currentExpiries(residentHash: Data, at now: Date) throws -> [CertificateKind: Date] {
        try writer.unsafeRead { db in
            var expiries: [CertificateKind: Date] = [:]
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT kind, MAX(not_after) AS not_after FROM certificate
                WHERE resident_hash = ? AND status IN ('valid', 'suspended') AND not_after > ? GROUP BY kind
                """), arguments: [residentHash, StoredTime.seconds(now)])
            while let row = try rows.next() {
                if let kind = CertificateKind(rawValue: row["kind"]) { expiries[kind] = StoredTime.date(row["not_after"]) }
            }
            return expiries
        }
    }

    public func certificate(ca: String, serial: String) throws -> CertificateRecord? {
        try writer.read { db in
            try Row.fetchOne(db, sql: CertificateRecord.selectOne, arguments: [ca, serial]).map(CertificateRecord.init(row:))
        }
    }

    /// Number of certificates per status, for health and tests.
    public func certificateCount(status: CertificateStatus? = nil) throws -> Int {
        try writer.read { db in
            if let status {
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM certificate WHERE status = ?", arguments: [status.rawValue]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM certificate") ?? 0
        }
    }
}

extension CertificateRecord {
    /// One certificate with its DER, by `ca` and `serial`.
    static let selectOne = """
        SELECT certificate.*, certificate_der.der FROM certificate
        JOIN certificate_der USING (ca, serial) WHERE ca = ? AND serial = ?
        """

    init(row: Row) {
        self.init(ca: row["ca"], serial: row["serial"], kind: CertificateKind(rawValue: row["kind"])!,
                  municipality: try! MunicipalityCode(validating: row["municipality"]), partition: row["partition"],
                  residentHash: row["resident_hash"], notBefore: StoredTime.date(row["not_before"]),
                  notAfter: StoredTime.date(row["not_after"]), issuedAt: StoredTime.date(row["issued_at"]),
                  issuedBy: row["issued_by"], der: row["der"])
        status = CertificateStatus(rawValue: row["status"])!
        revokedAt = (row["revoked_at"] as Int64?).map(StoredTime.date)
        revocationReason = (row["revocation_reason"] as Int?).flatMap(RevocationReason.init(rawValue:))
        successorCA = row["successor_ca"]
        successorSerial = row["successor_serial"]
    }
}

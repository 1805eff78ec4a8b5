import Foundation
import GRDB
import JPKIProfile

/// Failures of the store that a caller can act on.
public enum StoreError: Error, Sendable, Equatable {
    /// A serial the CA already used: the caller draws a new one and signs again.
    case duplicateSerial(ca: String, serial: String)
}

extension CertificateDatabase {
    /// Records newly signed certificates, all or nothing, in one transaction: for each, any valid
    /// certificate of the same kind held by the same resident (matched by keyed hash) is revoked
    /// as `superseded` and linked to it, and every change is appended to the audit log.
    ///
    /// Returns the supersessions it made. Nothing is written if anything fails.
    public func recordIssuance(_ records: [CertificateRecord], actor: String, at now: Date) async throws -> [Supersession] {
        let nowSeconds = StoredTime.seconds(now)
        return try await writer.write { db in
            var supersessions: [Supersession] = []
            for record in records {
                let previous = try Row.fetchAll(db, sql: """
                    SELECT ca, serial FROM certificate
                    WHERE resident_hash = ? AND kind = ? AND status = 'valid' AND not_after > ?
                    """, arguments: [record.residentHash, record.kind.rawValue, nowSeconds])
                for row in previous {
                    let old = Supersession(ca: row["ca"], serial: row["serial"],
                                           successorCA: record.ca, successorSerial: record.serial)
                    try db.execute(sql: """
                        UPDATE certificate SET status = 'revoked', revoked_at = ?, revocation_reason = ?,
                            successor_ca = ?, successor_serial = ?
                        WHERE ca = ? AND serial = ?
                        """, arguments: [nowSeconds, RevocationReason.superseded.rawValue, old.successorCA,
                                         old.successorSerial, old.ca, old.serial])
                    supersessions.append(old)
                }
                do {
                    try db.execute(sql: """
                        INSERT INTO certificate (ca, serial, kind, municipality, partition, resident_hash, not_before,
                            not_after, issued_at, issued_by, status, der)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'valid', ?)
                        """, arguments: [record.ca, record.serial, record.kind.rawValue, record.municipality.value,
                                         record.partition, record.residentHash, StoredTime.seconds(record.notBefore),
                                         StoredTime.seconds(record.notAfter), StoredTime.seconds(record.issuedAt),
                                         record.issuedBy, record.der])
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                    throw StoreError.duplicateSerial(ca: record.ca, serial: record.serial)
                }
                try AuditLog.append(AuditEvent(actor: actor, action: "certificate.issued", details: [
                    "ca": record.ca, "serial": record.serial, "kind": record.kind.rawValue,
                    "municipality": record.municipality.value, "partition": record.partition,
                    "notAfter": AuditLog.timestamp(record.notAfter),
                ]), at: now, in: db)
            }
            for old in supersessions {
                try AuditLog.append(AuditEvent(actor: actor, action: "certificate.revoked", details: [
                    "ca": old.ca, "serial": old.serial, "reason": RevocationReason.superseded.name,
                    "successorCA": old.successorCA, "successorSerial": old.successorSerial,
                ]), at: now, in: db)
            }
            return supersessions
        }
    }

    /// When the resident's valid certificates of each kind expire: what the renewal rule needs
    /// (CertificateLifetime). Reads only the expiry column, through the resident index.
    public func currentExpiries(residentHash: Data, at now: Date) async throws -> [CertificateKind: Date] {
        try await writer.read { db in
            var expiries: [CertificateKind: Date] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT kind, MAX(not_after) AS not_after FROM certificate
                WHERE resident_hash = ? AND status = 'valid' AND not_after > ? GROUP BY kind
                """, arguments: [residentHash, StoredTime.seconds(now)])
            while let row = try rows.next() {
                if let kind = CertificateKind(rawValue: row["kind"]) { expiries[kind] = StoredTime.date(row["not_after"]) }
            }
            return expiries
        }
    }

    public func certificate(ca: String, serial: String) throws -> CertificateRecord? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM certificate WHERE ca = ? AND serial = ?",
                             arguments: [ca, serial]).map(CertificateRecord.init(row:))
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
    init(row: Row) {
        self.init(ca: row["ca"], serial: row["serial"], kind: CertificateKind(rawValue: row["kind"])!,
                  municipality: try! MunicipalityCode(validating: row["municipality"]), partition: row["partition"],
                  residentHash: row["resident_hash"], notBefore: StoredTime.date(row["not_before"]),
                  notAfter: StoredTime.date(row["not_after"]), issuedAt: StoredTime.date(row["issued_at"]),
                  issuedBy: row["issued_by"], der: row["der"])
        status = CertificateStatus(rawValue: row["status"]) ?? .revoked
        revokedAt = (row["revoked_at"] as Int64?).map(StoredTime.date)
        revocationReason = (row["revocation_reason"] as Int?).flatMap(RevocationReason.init(rawValue:))
        successorCA = row["successor_ca"]
        successorSerial = row["successor_serial"]
    }
}

import Foundation
import GRDB
import JPKIProfile

/// A change a holder (through a desk or the call centre) or an administrator asks for.
///
/// The life of a certificate: `valid` ⇄ `suspended` (a hold, RFC 5280 §5.3.1 certificateHold, for
/// a card reported lost), and from either to `revoked`, which is final.
public enum StatusChange: Sendable, Equatable {
    /// Suspend at once: the card is lost.
    case hold
    /// Lift the hold: the card was found.
    case release
    case revoke(RevocationReason)

    /// The status after the change, or `nil` if the change is not allowed from `status`.
    public func next(from status: CertificateStatus) -> CertificateStatus? {
        switch (self, status) {
        case (.hold, .valid): .suspended
        case (.release, .suspended): .valid
        case (.revoke, .valid), (.revoke, .suspended): .revoked
        default: nil
        }
    }

    var auditAction: String {
        switch self {
        case .hold: "certificate.suspended"
        case .release: "certificate.resumed"
        case .revoke: "certificate.revoked"
        }
    }
}

extension CertificateDatabase {
    /// Applies `change` to one certificate in one transaction, with its audit entry.
    ///
    /// `authorize` sees the certificate as stored, inside the transaction, before anything is
    /// written: the caller's rule of who may touch which certificate (a desk its own
    /// municipality's) is checked against the same row that is then changed.
    public func changeStatus(ca: String, serial: String, _ change: StatusChange, actor: String, at now: Date,
                             authorize: @escaping @Sendable (CertificateRecord) throws -> Void) async throws -> CertificateRecord {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: CertificateRecord.selectOne, arguments: [ca, serial]) else {
                throw StoreError.unknownCertificate(ca: ca, serial: serial)
            }
            var record = CertificateRecord(row: row)
            try authorize(record)
            guard let next = change.next(from: record.status) else {
                throw StoreError.transitionNotAllowed(change, from: record.status)
            }
            let seconds = StoredTime.seconds(now)
            var tick = ListingTick()
            let listedTick = try tick.value(db)
            // A hold lifted leaves the CRL: the deltas after it say removeFromCRL (RFC 5280
            // §5.3.1), for which the release is kept.
            if case .release = change {
                try db.execute(sql: """
                    INSERT INTO crl_release (ca, partition, released_tick, serial, released_at)
                    SELECT ca, partition, ?, serial, ? FROM certificate WHERE ca = ? AND serial = ?
                    """, arguments: [listedTick, seconds, ca, serial])
            }
            // Revoking a suspended certificate keeps the hold's time as the invalidity date: the
            // card has been out of the holder's hands since it was reported lost (§5.3.2).
            let invalidSince = record.status == .suspended ? record.revokedAt.map(StoredTime.seconds) : nil
            switch change {
            case .hold:
                record.revokedAt = StoredTime.date(seconds)
                record.revocationReason = .certificateHold
            case .release:
                record.revokedAt = nil
                record.revocationReason = nil
            case .revoke(let reason):
                record.revokedAt = StoredTime.date(seconds)
                record.revocationReason = reason
            }
            record.status = next
            try db.execute(sql: """
                UPDATE certificate SET status = ?, revoked_at = ?, revocation_reason = ?, invalidity_date = ?, listed_tick = ?
                WHERE ca = ? AND serial = ?
                """, arguments: [next.rawValue, record.revokedAt.map(StoredTime.seconds), record.revocationReason?.rawValue,
                                 next == .revoked ? invalidSince : nil, listedTick, ca, serial])
            var details = ["ca": ca, "serial": serial]
            if case .revoke(let reason) = change { details["reason"] = reason.name }
            try AuditLog.append(AuditEvent(actor: actor, action: change.auditAction, details: details), at: now, in: db)
            return record
        }
    }

    /// Revokes every valid or suspended certificate of `ca` at once, with one audit entry that
    /// counts them: what the compromise of the CA's key (`cACompromise`) calls for.
    public func revokeAll(ca: String, reason: RevocationReason, actor: String, at now: Date) async throws -> Int {
        try await writer.write { db in
            var tick = ListingTick()
            try db.execute(sql: """
                UPDATE certificate SET status = 'revoked', revoked_at = ?, revocation_reason = ?,
                    invalidity_date = CASE status WHEN 'suspended' THEN revoked_at END, listed_tick = ?
                WHERE ca = ? AND status IN ('valid', 'suspended')
                """, arguments: [StoredTime.seconds(now), reason.rawValue, try tick.value(db), ca])
            let count = db.changesCount
            try AuditLog.append(AuditEvent(actor: actor, action: "ca.certificates-revoked", details: [
                "ca": ca, "reason": reason.name, "count": "\(count)",
            ]), at: now, in: db)
            return count
        }
    }

    /// What a bulk revocation did to one serial of its list.
    public enum BulkRevocationResult: Sendable, Equatable {
        case revoked
        /// Already revoked: nothing changed.
        case alreadyRevoked(RevocationReason?)
        case unknown
    }

    /// Revokes each listed serial of `ca` with `reason`, all in one transaction, with an audit
    /// entry per certificate revoked. Serials already revoked or unknown are reported, not errors.
    public func revoke(serials: [String], ca: String, reason: RevocationReason, actor: String,
                       at now: Date) async throws -> [BulkRevocationResult] {
        try await writer.write { db in
            var chain = try AuditLog.Chain(db)
            var tick = ListingTick()
            var results: [BulkRevocationResult] = []
            for serial in serials {
                guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT status, revocation_reason FROM certificate WHERE ca = ? AND serial = ?
                    """), arguments: [ca, serial]) else {
                    results.append(.unknown)
                    continue
                }
                guard CertificateStatus(rawValue: row["status"]) != .revoked else {
                    results.append(.alreadyRevoked((row["revocation_reason"] as Int?).flatMap(RevocationReason.init(rawValue:))))
                    continue
                }
                try db.cachedStatement(sql: """
                    UPDATE certificate SET status = 'revoked', revoked_at = ?, revocation_reason = ?,
                        invalidity_date = CASE status WHEN 'suspended' THEN revoked_at END, listed_tick = ?
                    WHERE ca = ? AND serial = ?
                    """).execute(arguments: [StoredTime.seconds(now), reason.rawValue, try tick.value(db), ca, serial])
                try chain.append(AuditEvent(actor: actor, action: "certificate.revoked", details: [
                    "ca": ca, "serial": serial, "reason": reason.name,
                ]), at: now, in: db)
                results.append(.revoked)
            }
            return results
        }
    }
}

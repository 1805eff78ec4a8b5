import Foundation
import GRDB
import JPKIProfile

/// A CA's delegated OCSP responder as stored: its certificate and its encrypted key.
public struct StoredOCSPResponder: Sendable, Equatable {
    public let id: Int64
    public let ca: String
    public let notBefore: Int64
    public let notAfter: Int64
    public let certificate: Data
    /// EncryptedPrivateKeyInfo DER (RFC 5958 §3).
    public let privateKey: Data

    public init(id: Int64, ca: String, notBefore: Int64, notAfter: Int64, certificate: Data, privateKey: Data) {
        self.id = id
        self.ca = ca
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.certificate = certificate
        self.privateKey = privateKey
    }
}

/// Where a certificate stands, as an OCSP response states it.
public struct CertificateStanding: Sendable, Equatable {
    public let ca: String
    /// Lowercase hex of the serial's DER integer content.
    public let serial: String
    public let status: CertificateStatus
    /// For a suspended or revoked certificate: when (Unix seconds) and why.
    public let revokedAt: Int64?
    public let reason: RevocationReason?
    public let notAfter: Int64

    public init(ca: String, serial: String, status: CertificateStatus, revokedAt: Int64?, reason: RevocationReason?,
                notAfter: Int64) {
        self.ca = ca
        self.serial = serial
        self.status = status
        self.revokedAt = revokedAt
        self.reason = reason
        self.notAfter = notAfter
    }

    static let columns = "ca, serial, status, revoked_at, revocation_reason, not_after"

    init(row: Row) {
        self.init(ca: row[0], serial: row[1], status: CertificateStatus(rawValue: row[2]) ?? .revoked,
                  revokedAt: row[3], reason: (row[4] as Int?).flatMap(RevocationReason.init(rawValue:)), notAfter: row[5])
    }
}

/// A pre-signed OCSP response: the standing it states, and its ResponseData and signature.
public struct StoredOCSPResponse: Sendable, Equatable {
    public let standing: CertificateStanding
    public let responder: Int64
    public let thisUpdate: Int64
    public let nextUpdate: Int64
    /// When the refresher is to sign it again.
    public let refreshAt: Int64
    public let responseData: [UInt8]
    public let signature: [UInt8]

    public init(standing: CertificateStanding, responder: Int64, thisUpdate: Int64, nextUpdate: Int64, refreshAt: Int64,
                responseData: [UInt8], signature: [UInt8]) {
        self.standing = standing
        self.responder = responder
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.refreshAt = refreshAt
        self.responseData = responseData
        self.signature = signature
    }

    static let select = """
        SELECT r.ca, r.serial, r.status, r.revoked_at, r.revocation_reason, c.not_after,
               r.responder, r.this_update, r.next_update, r.refresh_at, r.response_data, r.signature
        FROM ocsp_response r JOIN certificate c USING (ca, serial)
        """

    init(row: Row) {
        standing = CertificateStanding(row: row)
        responder = row[6]
        thisUpdate = row[7]
        nextUpdate = row[8]
        refreshAt = row[9]
        responseData = Array(row[10] as Data)
        signature = Array(row[11] as Data)
    }
}

/// What the OCSP signer has to do, read in one snapshot.
public struct OCSPWork: Sendable {
    /// The listing clock of the snapshot: every status change up to it is in ``changed``.
    public let tick: Int64
    /// Certificates whose status changed since the tick last recorded, as they stand now.
    public let changed: [CertificateStanding]
    /// Certificates issued and not yet given a response (up to the limit asked for).
    public let pending: [CertificateStanding]
    /// The last `ocsp_pending` id in ``pending``, to be removed with the responses.
    public let pendingThrough: Int64?
}

extension CertificateDatabase {
    // MARK: - Responders

    public func ocspResponders() throws -> [StoredOCSPResponder] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, ca, not_before, not_after, certificate, private_key FROM ocsp_responder ORDER BY id")
                .map { StoredOCSPResponder(id: $0[0], ca: $0[1], notBefore: $0[2], notAfter: $0[3],
                                           certificate: $0[4], privateKey: $0[5]) }
        }
    }

    /// Records a new responder and its audit entry; returns its id.
    public func addOCSPResponder(ca: String, notBefore: Int64, notAfter: Int64, certificate: Data, privateKey: Data,
                                 serial: String, actor: String, at now: Date) async throws -> Int64 {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO ocsp_responder (ca, not_before, not_after, certificate, private_key) VALUES (?, ?, ?, ?, ?)
                """, arguments: [ca, notBefore, notAfter, certificate, privateKey])
            let id = db.lastInsertedRowID
            try AuditLog.append(AuditEvent(actor: actor, action: "ocsp.responder.created", details: [
                "ca": ca, "serial": serial, "notAfter": AuditLog.timestamp(StoredTime.date(notAfter)),
            ]), at: now, in: db)
            return id
        }
    }

    // MARK: - Reading

    /// Where a certificate stands, or nil if the CA never issued that serial.
    public func standing(ca: String, serial: String) throws -> CertificateStanding? {
        try writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(CertificateStanding.columns) FROM certificate WHERE ca = ? AND serial = ?"),
                             arguments: [ca, serial]).map(CertificateStanding.init(row:))
        }
    }

    public func ocspResponse(ca: String, serial: String) throws -> StoredOCSPResponse? {
        try writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: StoredOCSPResponse.select + " WHERE r.ca = ? AND r.serial = ?"),
                             arguments: [ca, serial]).map(StoredOCSPResponse.init(row:))
        }
    }

    /// Status changes since `tick` and certificates awaiting their first response, in one snapshot.
    ///
    /// Changes are found through the CRL listing clock: each revocation, hold or supersession
    /// stamps the certificate's `listed_tick`, and each lifted hold is in `crl_release`, both
    /// indexed by partition and tick, so this reads only what changed.
    public func ocspWork(since tick: Int64, pendingLimit: Int) async throws -> OCSPWork {
        try await writer.read { db in
            let now = ListingTick.current
            let current = try now(db)
            var changed: [String: CertificateStanding] = [:]
            if current > tick {
                let partitions = try Row.fetchAll(db, sql: "SELECT ca, partition FROM crl_partition")
                for partition in partitions {
                    let listed = try Row.fetchCursor(db.cachedStatement(sql: """
                        SELECT \(CertificateStanding.columns) FROM certificate
                        WHERE ca = ? AND partition = ? AND status <> 'valid' AND listed_tick > ?
                        """), arguments: [partition[0], partition[1], tick])
                    while let row = try listed.next() {
                        let standing = CertificateStanding(row: row)
                        changed[standing.ca + "/" + standing.serial] = standing
                    }
                    let released = try Row.fetchCursor(db.cachedStatement(sql: """
                        SELECT \(CertificateStanding.columns) FROM certificate WHERE (ca, serial) IN (
                            SELECT ca, serial FROM crl_release WHERE ca = ? AND partition = ? AND released_tick > ?)
                        """), arguments: [partition[0], partition[1], tick])
                    while let row = try released.next() {
                        let standing = CertificateStanding(row: row)
                        changed[standing.ca + "/" + standing.serial] = standing
                    }
                }
            }
            let pendingRows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT p.id, \(CertificateStanding.columns.split(separator: ",").map { "c." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
                FROM ocsp_pending p JOIN certificate c USING (ca, serial) ORDER BY p.id LIMIT ?
                """), arguments: [pendingLimit])
            let pending = pendingRows.map { row in
                CertificateStanding(ca: row[1], serial: row[2], status: CertificateStatus(rawValue: row[3]) ?? .revoked,
                                    revokedAt: row[4], reason: (row[5] as Int?).flatMap(RevocationReason.init(rawValue:)),
                                    notAfter: row[6])
            }
            return OCSPWork(tick: current, changed: Array(changed.values), pending: pending,
                            pendingThrough: pendingRows.last.map { $0[0] })
        }
    }

    /// The tick up to which status changes have been re-signed.
    public func ocspTick() throws -> Int64 {
        try writer.read { try Int64.fetchOne($0, sql: "SELECT tick FROM ocsp_clock WHERE id = 1") ?? 0 }
    }

    /// Certificates whose responses are due to be re-signed, most overdue first, with their
    /// current standing (expired ones too: the refresher drops their responses).
    public func dueOCSPResponses(at now: Int64, limit: Int) async throws -> [CertificateStanding] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT c.ca, c.serial, c.status, c.revoked_at, c.revocation_reason, c.not_after
                FROM ocsp_response r JOIN certificate c USING (ca, serial)
                WHERE r.refresh_at <= ? ORDER BY r.refresh_at LIMIT ?
                """), arguments: [now, limit]).map(CertificateStanding.init(row:))
        }
    }

    /// Stored responses, those due for re-signing, and certificates awaiting a first response.
    public func ocspResponseCounts(at now: Int64) throws -> (responses: Int, due: Int, pending: Int) {
        try writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ocsp_response") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ocsp_response WHERE refresh_at <= ?", arguments: [now]) ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ocsp_pending") ?? 0)
        }
    }

    // MARK: - Writing

    /// Stores freshly signed responses, replacing older ones, in one transaction with the
    /// bookkeeping of what they cover: the listing clock they reflect and the pending
    /// certificates they answer. A response is not written over a newer one (a slower signer
    /// that read an older standing must not undo a faster one's work).
    /// `expired` are certificates past their notAfter whose responses are dropped: they are no
    /// longer re-signed, and a request for one is answered from its standing.
    public func saveOCSPResponses(_ responses: [StoredOCSPResponse], tick: Int64? = nil,
                                  pendingThrough: Int64? = nil, expired: [CertificateStanding] = []) async throws {
        try await writer.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO ocsp_response (ca, serial, responder, this_update, next_update, refresh_at, status, revoked_at,
                    revocation_reason, response_data, signature)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (ca, serial) DO UPDATE SET responder = excluded.responder, this_update = excluded.this_update,
                    next_update = excluded.next_update, refresh_at = excluded.refresh_at,
                    status = excluded.status, revoked_at = excluded.revoked_at,
                    revocation_reason = excluded.revocation_reason, response_data = excluded.response_data,
                    signature = excluded.signature
                WHERE excluded.this_update >= ocsp_response.this_update
                """)
            for response in responses {
                let s = response.standing
                try statement.execute(arguments: [
                    s.ca, s.serial, response.responder, response.thisUpdate, response.nextUpdate, response.refreshAt,
                    s.status.rawValue,
                    s.revokedAt, s.reason?.rawValue, Data(response.responseData), Data(response.signature),
                ])
            }
            for standing in expired {
                try db.cachedStatement(sql: "DELETE FROM ocsp_response WHERE ca = ? AND serial = ?")
                    .execute(arguments: [standing.ca, standing.serial])
            }
            if let tick {
                try db.execute(sql: "UPDATE ocsp_clock SET tick = MAX(tick, ?) WHERE id = 1", arguments: [tick])
            }
            if let pendingThrough {
                try db.execute(sql: "DELETE FROM ocsp_pending WHERE id <= ?", arguments: [pendingThrough])
            }
        }
    }
}

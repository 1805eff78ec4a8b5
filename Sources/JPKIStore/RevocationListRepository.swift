import Foundation
import GRDB
import GRDBSQLite
import JPKIProfile

/// One entry of a CRL as the store keeps it: a suspended or revoked certificate.
public struct ListedCertificate: Sendable, Equatable {
    /// The serial's DER integer content.
    public let serial: [UInt8]
    public let revokedAt: Int64
    /// `certificateHold` for a suspended certificate; `nil` for unspecified.
    public let reason: RevocationReason?
    /// When a suspended certificate was put on hold, if it was revoked afterwards.
    public let invalidityDate: Int64?
}

/// A certificate whose hold was lifted: a delta CRL lists it as removeFromCRL.
public struct ReleasedCertificate: Sendable, Equatable {
    /// The serial's DER integer content.
    public let serial: [UInt8]
    public let releasedAt: Int64
}

/// A CRL that was published, as recorded after its file was in place.
public struct CRLPublication: Sendable, Equatable {
    public enum Scope: String, Sendable {
        case full
        case delta
    }

    public let ca: String
    /// The partition id, or `arl` for the CA's authority revocation list.
    public let partition: String
    public let number: Int64
    public let scope: Scope
    public let baseNumber: Int64?
    /// The listing clock the CRL was read at: a delta after it lists the changes above this tick.
    public let tick: Int64
    public let thisUpdate: Int64
    public let nextUpdate: Int64
    public let entries: Int
    public let size: Int
    public let sha256: Data

    public init(ca: String, partition: String, number: Int64, scope: Scope, baseNumber: Int64?, tick: Int64,
                thisUpdate: Int64, nextUpdate: Int64, entries: Int, size: Int, sha256: Data) {
        self.ca = ca
        self.partition = partition
        self.number = number
        self.scope = scope
        self.baseNumber = baseNumber
        self.tick = tick
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.entries = entries
        self.size = size
        self.sha256 = sha256
    }

    init(row: Row) {
        self.init(ca: row["ca"], partition: row["partition"], number: row["number"],
                  scope: Scope(rawValue: row["scope"]) ?? .full, baseNumber: row["base_number"], tick: row["tick"],
                  thisUpdate: row["this_update"], nextUpdate: row["next_update"], entries: row["entries"],
                  size: row["size"], sha256: row["sha256"])
    }
}

/// A consistent view of the CRL data, for the length of one generation: one SQLite read
/// transaction, so that entries and the listing clock agree even while revocations commit.
public struct RevocationListSnapshot {
    let db: Database

    /// Every listing change in this snapshot has a tick up to this one.
    public func tick() throws -> Int64 {
        try ListingTick.current(db)
    }

    /// Streams the partition's suspended and revoked certificates in chunks of at most
    /// `chunkSize`, reading the covering partial index alone: memory stays bounded whatever the
    /// partition's size. `changedAfter` limits them to entries changed above that tick (a
    /// delta CRL); certificates that expired before `expiredBefore` are left out.
    public func forEachListed(ca: String, partition: String, changedAfter: Int64? = nil, expiredBefore: Int64,
                              chunkSize: Int = 8192, _ body: ([ListedCertificate]) throws -> Void) throws {
        let statement = try db.cachedStatement(sql: """
            SELECT serial, revoked_at, revocation_reason, invalidity_date FROM certificate
            INDEXED BY certificate_listed_by_partition
            WHERE ca = ? AND partition = ? AND listed_tick > ? AND status <> 'valid' AND not_after >= ?
            """)
        statement.arguments = [ca, partition, changedAfter ?? -1, expiredBefore]
        // Columns are read with SQLite's own accessors, by position: at ten million entries a
        // Row, a String and a Data per entry cost more than the query, and the stored hex is
        // decoded straight from SQLite's buffer.
        let rows = try Row.fetchCursor(statement)
        let sqlite = statement.sqliteStatement
        var chunk: [ListedCertificate] = []
        chunk.reserveCapacity(chunkSize)
        while try rows.next() != nil {
            let length = Int(sqlite3_column_bytes(sqlite, 0))
            guard let text = sqlite3_column_text(sqlite, 0),
                  let serial = [UInt8](hexadecimalUTF8: UnsafeRawBufferPointer(start: text, count: length)) else {
                throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "a stored serial is not hexadecimal")
            }
            var reason: RevocationReason?
            if sqlite3_column_type(sqlite, 2) != SQLITE_NULL {
                reason = RevocationReason(rawValue: Int(sqlite3_column_int64(sqlite, 2)))
                // An unknown code would go out as unspecified: the store is damaged, say so.
                guard reason != nil else { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "a stored reason is not a CRLReason") }
            }
            let invalidity = sqlite3_column_type(sqlite, 3) == SQLITE_NULL ? nil : sqlite3_column_int64(sqlite, 3)
            chunk.append(ListedCertificate(serial: serial, revokedAt: sqlite3_column_int64(sqlite, 1), reason: reason,
                                           invalidityDate: invalidity))
            if chunk.count == chunkSize {
                try body(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { try body(chunk) }
    }

    /// Serials of the partition whose hold was lifted above `tick` and that are valid now: a
    /// delta lists them as removeFromCRL. RFC 5280 §5.3.1 asks for it whenever the base or any
    /// CRL since listed the hold, and an earlier delta may have listed a hold placed after the
    /// base; for a hold that no CRL listed, the entry is surplus and harmless.
    public func releasedSince(ca: String, partition: String, tick: Int64) throws -> [ReleasedCertificate] {
        try Row.fetchAll(db, sql: """
            SELECT r.serial, MAX(r.released_at) FROM crl_release r JOIN certificate c ON c.ca = r.ca AND c.serial = r.serial
            WHERE r.ca = ? AND r.partition = ? AND r.released_tick > ? AND c.status = 'valid'
            GROUP BY r.serial
            """, arguments: [ca, partition, tick]).map { row in
                guard let serial = [UInt8](hexadecimal: row[0]) else {
                    throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "a stored serial is not hexadecimal")
                }
                return ReleasedCertificate(serial: serial, releasedAt: row[1])
            }
    }
}

extension CertificateDatabase {
    /// Runs `body` in one read transaction, on a reader connection: the snapshot a CRL is
    /// generated from. Writers go on meanwhile (WAL); what they commit is not seen.
    public func withRevocationListSnapshot<T: Sendable>(_ body: @escaping @Sendable (RevocationListSnapshot) throws -> T) async throws -> T {
        try await writer.read { db in try body(RevocationListSnapshot(db: db)) }
    }

    /// Every partition some certificate names, by CA.
    public func crlPartitions() throws -> [(ca: String, partition: String)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT ca, partition FROM crl_partition ORDER BY ca, partition").map { ($0[0], $0[1]) }
        }
    }

    /// The tick of the partition's latest listing change, from the entries and the releases:
    /// two index seeks, so that a scheduler can ask it of every partition every few minutes.
    public func lastListingChange(ca: String, partition: String) throws -> Int64 {
        try writer.read { db in
            let listed = try Int64.fetchOne(db, sql: """
                SELECT MAX(listed_tick) FROM certificate INDEXED BY certificate_listed_by_partition
                WHERE ca = ? AND partition = ? AND status <> 'valid'
                """, arguments: [ca, partition]) ?? 0
            let released = try Int64.fetchOne(db, sql: """
                SELECT MAX(released_tick) FROM crl_release WHERE ca = ? AND partition = ?
                """, arguments: [ca, partition]) ?? 0
            return max(listed, released)
        }
    }

    /// Reserves the next CRL number of a partition (full and delta CRLs share the sequence,
    /// RFC 5280 §5.2.3). The reservation commits before anything is signed, so a number is never
    /// given twice, across crashes and restarts; a crash after it leaves a gap, which is allowed.
    public func reserveCRLNumber(ca: String, partition: String) async throws -> Int64 {
        try await writer.write { db in
            let number = try Int64.fetchOne(db, sql: """
                INSERT INTO crl_number (ca, partition, last_number) VALUES (?, ?, 1)
                ON CONFLICT (ca, partition) DO UPDATE SET last_number = last_number + 1
                RETURNING last_number
                """, arguments: [ca, partition])
            guard let number else { throw DatabaseError(resultCode: .SQLITE_ERROR, message: "no CRL number returned") }
            return number
        }
    }

    /// Records a CRL whose file is in place.
    public func recordPublication(_ publication: CRLPublication) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO crl_publication (ca, partition, number, scope, base_number, tick, this_update, next_update,
                    entries, size, sha256)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [publication.ca, publication.partition, publication.number, publication.scope.rawValue,
                                 publication.baseNumber, publication.tick, publication.thisUpdate, publication.nextUpdate,
                                 publication.entries, publication.size, publication.sha256])
        }
    }

    /// The latest CRL of the partition with that scope, if any was published.
    public func latestPublication(ca: String, partition: String, scope: CRLPublication.Scope) throws -> CRLPublication? {
        try writer.read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM crl_publication WHERE ca = ? AND partition = ? AND scope = ? ORDER BY number DESC LIMIT 1
                """, arguments: [ca, partition, scope.rawValue]).map(CRLPublication.init(row:))
        }
    }
}

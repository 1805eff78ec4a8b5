import Foundation
import GRDB
import JPKIProfile

/// A certificate made up for `jpki-ca bench crl` and `bench ocsp`: the row a CRL or an OCSP
/// response reads, without a certificate behind it. Valid when it has no revocation.
public struct SyntheticCertificate: Sendable {
    public let ca: String
    public let serial: String
    public let municipality: String
    public let kind: CertificateKind
    public let partition: String
    public let residentHash: Data
    public let revokedAt: Int64?
    public let reason: RevocationReason?
    public let notAfter: Int64

    public init(ca: String, serial: String, municipality: String, kind: CertificateKind, partition: String,
                residentHash: Data, revokedAt: Int64?, reason: RevocationReason?, notAfter: Int64) {
        self.ca = ca
        self.serial = serial
        self.municipality = municipality
        self.kind = kind
        self.partition = partition
        self.residentHash = residentHash
        self.revokedAt = revokedAt
        self.reason = reason
        self.notAfter = notAfter
    }
}

extension CertificateDatabase {
    /// Inserts made-up valid, revoked or (for certificateHold) suspended certificates in one
    /// transaction, with their partitions, and no audit entry: for benchmarks only, on a
    /// throw-away database, so that ten million CRL entries take minutes to set up rather than
    /// the days issuing them would. With `queueForOCSP`, they await their first OCSP response
    /// as issued certificates do.
    public func insertSyntheticCertificates(_ rows: [SyntheticCertificate], queueForOCSP: Bool = false) async throws {
        try await writer.write { db in
            var tick = ListingTick()
            let listed = try tick.value(db)
            var values: [DatabaseValue] = []
            values.reserveCapacity(rows.count * 14)
            var partitions = Set<[String]>()
            for row in rows {
                partitions.insert([row.ca, row.partition])
                values += [row.residentHash.databaseValue, row.kind.rawValue.databaseValue, row.ca.databaseValue,
                           row.serial.databaseValue, row.municipality.databaseValue, row.partition.databaseValue,
                           (row.notAfter - 5 * 365 * 86_400).databaseValue, row.notAfter.databaseValue,
                           (row.notAfter - 5 * 365 * 86_400).databaseValue, "bench-population".databaseValue,
                           (row.reason == nil ? CertificateStatus.valid : row.reason == .certificateHold ? .suspended : .revoked)
                               .rawValue.databaseValue,
                           row.revokedAt.databaseValue, row.reason?.rawValue.databaseValue ?? .null, listed.databaseValue]
            }
            try InsertRows.execute(table: "certificate", columns: [
                "resident_hash", "kind", "ca", "serial", "municipality", "partition", "not_before", "not_after",
                "issued_at", "issued_by", "status", "revoked_at", "revocation_reason", "listed_tick",
            ], values: values, db: db)
            if queueForOCSP {
                try InsertRows.execute(table: "ocsp_pending", columns: ["ca", "serial"],
                                       values: rows.flatMap { [$0.ca.databaseValue, $0.serial.databaseValue] }, db: db)
            }
            for partition in partitions {
                try db.execute(sql: "INSERT OR IGNORE INTO crl_partition (ca, partition) VALUES (?, ?)",
                               arguments: [partition[0], partition[1]])
            }
        }
    }
}

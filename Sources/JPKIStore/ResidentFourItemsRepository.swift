import Foundation
import GRDB
import JPKIProfile

/// A resident's four items as last known, and since when.
public struct LatestFourItems: Sendable, Equatable {
    public let items: BasicFourItems
    /// When these items took effect: the enrollment, or the change notice's effective time.
    public let asOf: Date

    public init(items: BasicFourItems, asOf: Date) {
        self.items = items
        self.asOf = asOf
    }
}

extension CertificateDatabase {
    /// The latest four items of the resident (by keyed hash), or nil if none are known.
    public func latestFourItems(residentHash: Data) throws -> LatestFourItems? {
        try writer.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT name, name_substitute_map, date_of_birth, sex, address, address_substitute_map, as_of
                FROM resident_four_items WHERE resident_hash = ?
                """, arguments: [residentHash]),
                let born = CalendarDate(iso8601: row[2]), let sex = Sex(rawValue: row[3]) else { return nil }
            return LatestFourItems(items: BasicFourItems(name: row[0], nameSubstituteMap: row[1], dateOfBirth: born, sex: sex,
                                                         address: row[4], addressSubstituteMap: row[5]),
                                   asOf: StoredTime.date(row[6]))
        }
    }

    /// Records `items` as the resident's latest, unless newer items are already known: notices
    /// may arrive out of order, and the one that took effect last wins.
    static func recordFourItems(_ items: BasicFourItems, residentHash: Data, asOf: Int64, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO resident_four_items (resident_hash, name, name_substitute_map, date_of_birth, sex, address,
                address_substitute_map, as_of)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (resident_hash) DO UPDATE SET name = excluded.name,
                name_substitute_map = excluded.name_substitute_map, date_of_birth = excluded.date_of_birth,
                sex = excluded.sex, address = excluded.address, address_substitute_map = excluded.address_substitute_map,
                as_of = excluded.as_of
            WHERE excluded.as_of >= resident_four_items.as_of
            """).execute(arguments: [residentHash, items.name, items.nameSubstituteMap, items.dateOfBirth.description,
                                     items.sex.rawValue, items.address, items.addressSubstituteMap, asOf])
    }

    /// The resident's current valid certificate of `kind`, newest first: where linkage leads.
    public func currentCertificate(residentHash: Data, kind: CertificateKind, at now: Date) throws -> CertificateStanding? {
        try writer.read { db in
            try Row.fetchOne(db, sql: """
                SELECT \(CertificateStanding.columns) FROM certificate
                WHERE resident_hash = ? AND kind = ? AND status = 'valid' AND not_after > ?
                ORDER BY issued_at DESC LIMIT 1
                """, arguments: [residentHash, kind.rawValue, StoredTime.seconds(now)]).map(CertificateStanding.init(row:))
        }
    }

    /// The keyed resident hash and kind of a certificate, for linkage and four-item lookups.
    public func holder(ca: String, serial: String) throws -> (residentHash: Data, kind: CertificateKind)? {
        try writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT resident_hash, kind FROM certificate WHERE ca = ? AND serial = ?",
                                             arguments: [ca, serial]),
                  let kind = CertificateKind(rawValue: row[1]) else { return nil }
            return (row[0], kind)
        }
    }
}

import Foundation
import GRDB
import JPKIProfile
import Testing
@testable import JPKIStore

@Suite("CRL data in the store")
struct RevocationListStoreTests {
    /// A store written before v3 upgrades with its suspended and revoked certificates on their
    /// partitions' CRLs, and its partitions known.
    @Test func aVersion2StoreUpgradesWithItsEntriesListed() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try CertificateDatabase.migrator.migrate(queue, upTo: "v2: holds, change notices, certificates clustered by resident")
            try await queue.write { db in
                for (serial, status, reason) in [("0a01", "revoked", 3), ("0a02", "suspended", 6), ("0a03", "valid", nil)] as [(String, String, Int?)] {
                    try db.execute(sql: """
                        INSERT INTO certificate (resident_hash, kind, ca, serial, municipality, partition, not_before, not_after,
                            issued_at, issued_by, status, revoked_at, revocation_reason)
                        VALUES (?, 'signing', '13/signing', ?, '131016', '131016', 0, 4000000000, 0, 'desk', ?, ?, ?)
                        """, arguments: [Data(serial.utf8), serial, status, reason == nil ? nil : 1_700_000_000, reason])
                }
            }
        }
        let database = try CertificateDatabase(path: path)
        #expect(try database.crlPartitions().map { "\($0.ca)/\($0.partition)" } == ["13/signing/131016"])
        let listed = try await database.withRevocationListSnapshot { snapshot in
            var listed: [ListedCertificate] = []
            try snapshot.forEachListed(ca: "13/signing", partition: "131016", expiredBefore: 0) { listed += $0 }
            return listed
        }
        #expect(Set(listed.map(\.serial)) == [[0x0a, 0x01], [0x0a, 0x02]])
        #expect(Set(listed.compactMap(\.reason)) == [.affiliationChanged, .certificateHold])
    }

    /// Every change to what a CRL lists advances the listing clock once per transaction, and a
    /// delta read after a tick sees exactly the changes above it.
    @Test func theListingClockOrdersChanges() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
        let database = try CertificateDatabase(path: path)
        func row(_ serial: String) -> SyntheticCertificate {
            SyntheticCertificate(ca: "13/signing", serial: serial, municipality: "131016", kind: .signing, partition: "131016",
                                residentHash: Data(serial.utf8), revokedAt: 1_700_000_000, reason: .certificateHold,
                                notAfter: 4_000_000_000)
        }
        try await database.insertSyntheticCertificates([row("01"), row("02")])
        try await database.writer.write { db in  // holders' requests read the certificate with its DER
            try db.execute(sql: "INSERT INTO certificate_der (ca, serial, der) VALUES ('13/signing', '01', x'30'), ('13/signing', '02', x'30')")
        }
        let base = try await database.withRevocationListSnapshot { try $0.tick() }
        _ = try await database.changeStatus(ca: "13/signing", serial: "01", .revoke(.keyCompromise), actor: "test",
                                            at: Date(timeIntervalSince1970: 1_700_000_100)) { _ in }
        _ = try await database.changeStatus(ca: "13/signing", serial: "02", .release, actor: "test",
                                            at: Date(timeIntervalSince1970: 1_700_000_200)) { _ in }
        #expect(try database.lastListingChange(ca: "13/signing", partition: "131016") == base + 2)
        let (changed, released) = try await database.withRevocationListSnapshot { snapshot in
            var changed: [ListedCertificate] = []
            try snapshot.forEachListed(ca: "13/signing", partition: "131016", changedAfter: base, expiredBefore: 0) { changed += $0 }
            return (changed, try snapshot.releasedSince(ca: "13/signing", partition: "131016", tick: base))
        }
        // Revoked from hold: the hold's time becomes the invalidity date.
        #expect(changed == [ListedCertificate(serial: [0x01], revokedAt: 1_700_000_100, reason: .keyCompromise,
                                              invalidityDate: 1_700_000_000)])
        #expect(released == [ReleasedCertificate(serial: [0x02], releasedAt: 1_700_000_200)])
    }
}

import Foundation
import JPKIProfile
import Testing
@testable import JPKIStore

@Suite("The certificate store")
struct CertificateStoreTests {
    func database() throws -> CertificateDatabase {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
        return try CertificateDatabase(path: path)
    }

    func record(serial: String, resident: UInt8) -> CertificateRecord {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        return CertificateRecord(ca: "13/signing", serial: serial, kind: .signing,
                                 municipality: try! MunicipalityCode(validating: "131016"), partition: "131016",
                                 residentHash: Data(repeating: resident, count: 32), notBefore: now,
                                 notAfter: now.addingTimeInterval(86_400 * 365), issuedAt: now, issuedBy: "desk", der: Data([0x30, 0x00]))
    }

    /// A serial drawn twice is reported as such, so that issuance signs again, and nothing of the
    /// failed transaction stays: the same resident's certificate, which the failed issuance
    /// superseded before its insert failed, is valid again after the rollback.
    @Test func aRepeatedSerialIsReportedAndWritesNothing() async throws {
        let db = try database()
        _ = try await db.recordIssuance([record(serial: "0abc", resident: 1)], actor: "desk", at: Date())
        await #expect(throws: StoreError.duplicateSerial(ca: "13/signing", serial: "0abc")) {
            _ = try await db.recordIssuance([self.record(serial: "0abc", resident: 1)], actor: "desk", at: Date())
        }
        // Another resident drawing the same serial collides on the (ca, serial) index instead.
        await #expect(throws: StoreError.duplicateSerial(ca: "13/signing", serial: "0abc")) {
            _ = try await db.recordIssuance([self.record(serial: "0abc", resident: 2)], actor: "desk", at: Date())
        }
        #expect(try db.certificateCount() == 1)
        let kept = try #require(try db.certificate(ca: "13/signing", serial: "0abc"))
        #expect(kept.status == .valid && kept.successorSerial == nil && kept.residentHash == Data(repeating: 1, count: 32))
    }
}

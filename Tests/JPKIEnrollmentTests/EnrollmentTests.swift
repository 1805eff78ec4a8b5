import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIStore
import JPKITestSupport
import SwiftASN1
import Testing
import X509

@Suite("Enrollment at the municipal desk")
struct EnrollmentTests {
    @Test func issuesBothCertificatesWithTheirProfiles() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let issued = try await service.runtime.enrollment.enroll(try Fixtures.application(), by: TestService.chiyodaDesk)
        #expect(issued.map(\.kind) == [.signing, .userAuthentication])
        let signing = issued[0].certificate, auth = issued[1].certificate

        #expect(signing.issuer == service.authority(.signing).certificate.subject)
        #expect(auth.issuer == service.authority(.userAuthentication).certificate.subject)
        #expect(signing.subject.description.contains("L=Chiyoda-ku"))
        #expect(Array(auth.subject.map(\.description)).count == 2)  // C and CN only

        let items = try FourItemsAlternativeName.values(in: try #require(try signing.extensions.subjectAlternativeNames))
        #expect(items[JPKIObjectIdentifier.FourItems.name] == Fixtures.name)
        #expect(items[JPKIObjectIdentifier.FourItems.dateOfBirth] == "319850615")
        #expect(items[JPKIObjectIdentifier.FourItems.sex] == "2")
        #expect(items[JPKIObjectIdentifier.FourItems.address] == Fixtures.address)
        #expect(try auth.extensions.subjectAlternativeNames == nil)

        #expect(try CertificatePolicies(try #require(signing.extensions[oid: CertificatePolicies.oid])).policies == [JPKIObjectIdentifier.signingPolicy])
        #expect(try CertificatePolicies(try #require(auth.extensions[oid: CertificatePolicies.oid])).policies == [JPKIObjectIdentifier.userAuthenticationPolicy])
        let signingUsage = try #require(try signing.extensions.keyUsage)
        #expect(signingUsage.digitalSignature && signingUsage.nonRepudiation && !signingUsage.keyEncipherment)
        let authUsage = try #require(try auth.extensions.keyUsage)
        #expect(authUsage.digitalSignature && !authUsage.nonRepudiation)

        // Partition: the municipality for signing, a hash shard (no place) for user authentication.
        #expect(issued[0].partition.id == "131016")
        #expect(issued[1].partition.id.hasPrefix("s"))
        let authPoints = try CRLDistributionPoints(try #require(auth.extensions[oid: CRLDistributionPoints.oid]))
        // No municipality: only the prefecture, which the issuer names anyway.
        #expect(!"\(authPoints)".contains("Chiyoda") && !"\(authPoints)".contains("131016"))
        let record = try #require(try service.runtime.database.certificate(ca: "13/signing", serial: issued[0].serialHex))
        #expect(record.partition == "131016" && record.status == .valid && record.der == Data(issued[0].der))
    }

    @Test func largeMunicipalitiesAreSharded() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        var shards = Set<String>()
        for i in 0..<12 {
            let application = try Fixtures.application(residentCode: String(format: "%011d", 5000 + i), municipality: "131121")
            let issued = try await service.runtime.enrollment.enroll(application, by: TestService.setagayaDesk)
            shards.insert(issued[0].partition.id)
            let points = try CRLDistributionPoints(try #require(issued[0].certificate.extensions[oid: CRLDistributionPoints.oid]))
            #expect(points.points[0].fullName.contains(.uniformResourceIdentifier("http://ca.test/crl/13/signing/\(issued[0].partition.id).crl")))
            // The partition's extensions are encoded once and shared; the key identifier is each certificate's own.
            let freshest = try FreshestCRL(try #require(issued[0].certificate.extensions[oid: FreshestCRL.oid]))
            #expect(freshest.points[0].fullName == [.uniformResourceIdentifier("http://ca.test/crl/13/signing/\(issued[0].partition.id)-delta.crl")])
            for certificate in issued.map(\.certificate) {
                #expect(try certificate.extensions.subjectKeyIdentifier == SubjectKeyIdentifier(hash: certificate.publicKey))
            }
        }
        #expect(shards.isSubset(of: ["131121-s00", "131121-s01", "131121-s02", "131121-s03"]))
        #expect(shards.count > 1)
    }

    @Test func aDeskCannotEnrollForAnotherMunicipality() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        await #expect(throws: EnrollmentError.self) {
            try await service.runtime.enrollment.enroll(try Fixtures.application(), by: TestService.shibuyaDesk)
        }
        do {
            _ = try await service.runtime.enrollment.enroll(try Fixtures.application(), by: TestService.shibuyaDesk)
        } catch let error as EnrollmentError {
            #expect(error.code == .forbiddenMunicipality && error.httpStatus == 403 && error.field == "municipalityCode")
        }
        do {
            _ = try await service.runtime.enrollment.enroll(try Fixtures.application(), by: TestService.administrator)
        } catch let error as EnrollmentError {
            #expect(error.code == .roleNotPermitted && error.httpStatus == 403)
        }
        #expect(try service.runtime.database.certificateCount() == 0)
    }

    @Test func issuingTheSameKindAgainSupersedesAndLinks() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let first = try await service.runtime.enrollment.enroll(try Fixtures.application(), by: TestService.chiyodaDesk)
        let second = try await service.runtime.enrollment.enroll(try Fixtures.application(signingKey: 2, authKey: 3), by: TestService.chiyodaDesk)
        for (old, new) in zip(first, second) {
            #expect(new.supersedes?.serial == old.serialHex)
            let record = try #require(try service.runtime.database.certificate(ca: old.ca.description, serial: old.serialHex))
            #expect(record.status == .revoked)
            #expect(record.revocationReason == .superseded)
            #expect(record.successorSerial == new.serialHex && record.successorCA == new.ca.description)
        }
        // Another resident's enrollment supersedes nothing of the first.
        let other = try await service.runtime.enrollment.enroll(try Fixtures.application(residentCode: "99999999999"), by: TestService.chiyodaDesk)
        #expect(other.allSatisfy { $0.supersedes == nil })
        #expect(try service.runtime.database.certificateCount(status: .valid) == 4)
        #expect(try service.runtime.database.certificateCount(status: .revoked) == 2)
        let actions = try service.runtime.database.recentAuditEntries(limit: 100).map(\.action)
        #expect(actions.filter { $0 == "certificate.issued" }.count == 6)
        #expect(actions.filter { $0 == "certificate.revoked" }.count == 2)
        #expect(actions.filter { $0 == "ca.created" }.count == 2)
        #expect(try service.runtime.database.verifyAuditLog() == .intact(entries: 10))
    }

    @Test func theResidentCodeLeavesNoTrace() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let code = "31415926535"
        let issued = try await service.runtime.enrollment.enroll(try Fixtures.application(residentCode: code), by: TestService.chiyodaDesk)
        for cert in issued {
            #expect(!Data(cert.der).contains(Data(code.utf8)))
        }
        // Nowhere in the database files (main file and WAL, both present after a commit), nor in any log line.
        for suffix in ["", "-wal"] {
            let path = service.databasePath + suffix
            let bytes = try #require(FileManager.default.contents(atPath: path), "no database file at \(path)")
            #expect(!bytes.isEmpty)
            #expect(!bytes.contains(Data(code.utf8)), "resident code found in \(path)")
        }
        #expect(!service.logs.all.isEmpty)
        #expect(service.logs.all.allSatisfy { !$0.contains(code) })
        #expect(try service.runtime.database.recentAuditEntries(limit: 100).allSatisfy { !$0.details.contains(code) })
    }

    @Test func theOpaqueNameIsRandom() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        let a = try await service.runtime.enrollment.enroll(try Fixtures.application(), by: TestService.chiyodaDesk)
        let b = try await service.runtime.enrollment.enroll(try Fixtures.application(), by: TestService.chiyodaDesk)
        let names = (a + b).map { $0.certificate.subject.description }
        #expect(Set(names).count == 4)
    }

    /// The renewal rule through the store: re-enrolling within three months of the current
    /// certificate's expiry runs to the sixth birthday; earlier, to the fifth.
    @Test func earlyRenewalRunsToTheSixthBirthday() async throws {
        let service = try TestService.make()
        defer { service.remove() }
        func endDay(_ issued: [IssuedCertificate]) -> [String] {
            issued.map { JapanStandardTime.date(of: $0.certificate.notValidAfter).description }
        }
        func noonJST(_ day: String) -> Date {
            JapanStandardTime.endOfDay(CalendarDate(iso8601: day)!).addingTimeInterval(-12 * 3600)
        }
        // Born 10 January 1990: today's certificates run to 10 January 2031.
        let first = try await service.runtime.enrollment.enroll(
            try Fixtures.application(residentCode: "11111111111", dateOfBirth: "1990-01-10"), by: TestService.chiyodaDesk)
        #expect(endDay(first) == ["2031-01-10", "2031-01-10"])
        // Renewed on 15 November 2030, inside the window (it opened on 10 October 2030).
        let renewed = try await service.runtime.enrollment.enroll(
            try Fixtures.application(residentCode: "11111111111", dateOfBirth: "1990-01-10", signingKey: 2, authKey: 3),
            by: TestService.chiyodaDesk, now: noonJST("2030-11-15"))
        #expect(endDay(renewed) == ["2036-01-10", "2036-01-10"])
        // Another resident renewing on 9 October 2030, the day before the window opens.
        _ = try await service.runtime.enrollment.enroll(
            try Fixtures.application(residentCode: "22222222222", dateOfBirth: "1990-01-10"), by: TestService.chiyodaDesk)
        let early = try await service.runtime.enrollment.enroll(
            try Fixtures.application(residentCode: "22222222222", dateOfBirth: "1990-01-10", signingKey: 4, authKey: 5),
            by: TestService.chiyodaDesk, now: noonJST("2030-10-09"))
        #expect(endDay(early) == ["2035-01-10", "2035-01-10"])
    }
}

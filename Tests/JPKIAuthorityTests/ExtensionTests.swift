import SwiftASN1
import Testing
import X509
@testable import JPKIAuthority

@Suite("DER of the extensions swift-certificates does not provide")
struct ExtensionTests {
    @Test func certificatePoliciesRoundTrip() throws {
        let policies = CertificatePolicies([JPKIObjectIdentifier.signingPolicy])
        let ext = try policies.makeCertificateExtension()
        #expect(!ext.critical)
        #expect(try CertificatePolicies(ext) == policies)
        // SEQUENCE { SEQUENCE { OID 1.2.392.200149.8.5.1.1.20 } }
        #expect(Array(ext.value) == [0x30, 0x0F, 0x30, 0x0D, 0x06, 0x0B, 0x2A, 0x83, 0x08, 0x8C, 0x9B, 0x55, 0x08, 0x05, 0x01, 0x01, 0x14])
    }

    @Test func distributionPointsRoundTrip() throws {
        let name = try DistinguishedName { CountryName("JP"); OrganizationName("JPKI"); CommonName("Chiyoda-ku") }
        let points = CRLDistributionPoints([DistributionPoint(fullName: [.directoryName(name), .uniformResourceIdentifier("http://ca.test/crl/x.crl")])])
        let ext = try points.makeCertificateExtension()
        #expect(try CRLDistributionPoints(ext) == points)
        // SEQUENCE { SEQUENCE { [0] { [0] { [4] dirName, [6] URI } } } }
        let bytes = Array(ext.value)
        #expect(bytes[0] == 0x30 && bytes[2] == 0x30 && bytes[4] == 0xA0 && bytes[6] == 0xA0 && bytes[8] == 0xA4)
    }

    @Test func wrongOIDIsRefused() throws {
        let ext = Certificate.Extension(oid: [2, 5, 29, 15], critical: true, value: [0x03, 0x02, 0x07, 0x80])
        #expect(throws: (any Error).self) { try CertificatePolicies(ext) }
        #expect(throws: (any Error).self) { try CRLDistributionPoints(ext) }
    }

    @Test func serialsArePositiveSixteenOctetsAndDistinct() {
        let serials = (0..<2000).map { _ in Array(SerialNumberGenerator.next().bytes) }
        #expect(serials.allSatisfy { $0.count == 16 && $0[0] & 0x80 == 0 && $0[0] != 0 })
        #expect(Set(serials).count == serials.count)
    }
}

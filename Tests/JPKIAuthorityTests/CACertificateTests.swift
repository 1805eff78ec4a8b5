import Foundation
import JPKIProfile
import JPKITestSupport
import Testing
import X509
@testable import JPKIAuthority

@Suite("CA certificates and their provisioning")
struct CACertificateTests {
    let ca = CertificateAuthorityID(prefecture: PrefectureCode("27")!, kind: .userAuthentication)

    func provisioning(_ dir: URL) -> CAProvisioning {
        CAProvisioning(vault: FileKeyVault(directory: dir, passphrase: "pw", iterations: 1000), certificateDirectory: dir,
                       publication: PublicationPoints(baseURL: "http://ca.test/"))
    }

    @Test func shapedLikeTheJLISRoots() throws {
        let now = ISO8601DateFormatter().date(from: "2026-11-21T20:00:00Z")!
        let authority = try provisioning(try ExternalTool.scratchDirectory())
            .provision(ca, operatorName: "Osaka", development: true, now: now)
        let cert = authority.certificate
        #expect(cert.subject == cert.issuer)
        #expect(cert.subject.description.contains("OU=JPKI for user authentication"))
        #expect(cert.subject.description.contains("DEVELOPMENT ONLY"))
        #expect(cert.signatureAlgorithm == .sha256WithRSAEncryption)
        // Ten years, ending 23:59:59 JST (14:59:59Z); 2026-11-22 is already the date in Japan.
        #expect(cert.notValidAfter == ISO8601DateFormatter().date(from: "2036-11-22T14:59:59Z"))
        let constraints = try #require(try cert.extensions.basicConstraints)
        #expect(constraints == .isCertificateAuthority(maxPathLength: nil))
        #expect(cert.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        let usage = try #require(try cert.extensions.keyUsage)
        #expect(usage.keyCertSign && usage.cRLSign && !usage.digitalSignature)
        #expect(cert.extensions[oid: .X509ExtensionID.keyUsage]?.critical == true)
        let points = try CRLDistributionPoints(try #require(cert.extensions[oid: CRLDistributionPoints.oid]))
        #expect(points.points.first?.fullName == [.directoryName(cert.subject), .uniformResourceIdentifier("http://ca.test/crl/27/user-authentication/arl.crl")])
        #expect(cert.publicKey.isValidSignature(cert.signature, for: cert))
    }

    @Test func provisioningRefusesToOverwrite() throws {
        let dir = try ExternalTool.scratchDirectory()
        let first = try provisioning(dir).provision(ca, operatorName: "Osaka", development: false)
        #expect(throws: AuthorityError.self) { try provisioning(dir).provision(ca, operatorName: "Osaka", development: false) }
        let loaded = try provisioning(dir).load(ca)
        #expect(loaded.certificate == first.certificate)
        #expect(loaded.privateKey == first.privateKey)
        #expect(!first.certificate.subject.description.contains("DEVELOPMENT"))
    }
}

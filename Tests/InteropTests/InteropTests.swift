import Foundation
import JPKIAuthority
import JPKIEnrollment
import JPKIProfile
import JPKITestSupport
import Testing
import X509

/// What we issue, read by clients nobody here wrote.
@Suite("Interop: OpenSSL and Python cryptography read what we issue")
struct InteropTests {
    struct Issued {
        let directory: URL
        let signing: URL
        let userAuthentication: URL
        let signingCA: URL
        let userAuthenticationCA: URL
    }

    func issue() async throws -> (TestService, Issued) {
        let service = try TestService.make()
        let issued = try await service.runtime.enrollment.enroll(try Fixtures.application(), by: TestService.chiyodaDesk)
        let dir = try ExternalTool.scratchDirectory()
        func write(_ name: String, _ certificate: Certificate) throws -> URL {
            let url = dir.appendingPathComponent(name)
            try (certificate.serializeAsPEM().pemString + "\n").write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        return (service, Issued(
            directory: dir,
            signing: try write("signing.pem", issued[0].certificate),
            userAuthentication: try write("user-authentication.pem", issued[1].certificate),
            signingCA: try write("signing-ca.pem", service.authority(.signing).certificate),
            userAuthenticationCA: try write("user-authentication-ca.pem", service.authority(.userAuthentication).certificate)))
    }

    @Test func opensslVerifiesEachCertificateAgainstItsCA() async throws {
        let (service, files) = try await issue()
        defer { service.remove() }
        for (cert, ca) in [(files.signing, files.signingCA), (files.userAuthentication, files.userAuthenticationCA)] {
            let result = try ExternalTool.run("openssl", ["verify", "-x509_strict", "-CAfile", ca.path, cert.path])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.hasSuffix(": OK\n"))
        }
        // And not against the other CA: the two kinds have separate roots.
        let crossed = try ExternalTool.run("openssl", ["verify", "-CAfile", files.userAuthenticationCA.path, files.signing.path])
        #expect(crossed.status != 0)
    }

    @Test func opensslShowsPolicyAndKeyUsage() async throws {
        let (service, files) = try await issue()
        defer { service.remove() }
        let signing = try ExternalTool.run("openssl", ["x509", "-in", files.signing.path, "-noout", "-text"]).stdout
        #expect(signing.contains("Policy: 1.2.392.200149.8.5.1.1.20"))
        #expect(signing.contains("X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation\n"))
        #expect(signing.contains("Signature Algorithm: sha256WithRSAEncryption"))
        #expect(signing.contains("URI:http://ca.test/crl/13/signing/131016.crl"))
        #expect(signing.contains("OU = CRL Distribution Points, OU = Tokyo-to, CN = Chiyoda-ku"))
        #expect(signing.contains("OCSP - URI:http://ca.test/ocsp"))
        #expect(signing.contains("CA Issuers - URI:http://ca.test/ca/13/signing.der"))
        let auth = try ExternalTool.run("openssl", ["x509", "-in", files.userAuthentication.path, "-noout", "-text"]).stdout
        #expect(auth.contains("Policy: 1.2.392.200149.8.5.1.3.30"))
        #expect(auth.contains("X509v3 Key Usage: critical\n                Digital Signature\n"))
        #expect(!auth.contains("Subject Alternative Name"))
        #expect(!auth.contains("Chiyoda") && !auth.contains("131016"))
    }

    /// Python's cryptography reads the six otherName values back, in the order real JPKI
    /// certificates use, and finds the four items exactly; the user-authentication certificate
    /// carries none of them anywhere in its bytes.
    @Test func pythonCryptographyReadsTheFourItems() async throws {
        let (service, files) = try await issue()
        defer { service.remove() }
        let script = #"""
        import json, sys
        from cryptography import x509
        def utf8(value):
            # otherName values are [0] EXPLICIT UTF8String; cryptography gives the inner TLV.
            assert value[0] == 0x0C, value[0]
            length, offset = value[1], 2
            if length & 0x80:
                n = length & 0x7F
                length, offset = int.from_bytes(value[2:2 + n], "big"), 2 + n
            return value[offset:offset + length].decode("utf-8")
        signing = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
        auth = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
        san = signing.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        items = [[n.type_id.dotted_string, utf8(n.value)] for n in san.get_values_for_type(x509.OtherName)]
        try:
            auth.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            auth_san = True
        except x509.ExtensionNotFound:
            auth_san = False
        print(json.dumps({"items": items, "authSAN": auth_san,
                          "authSubject": [a.oid.dotted_string for a in auth.subject],
                          "signingPolicy": signing.extensions.get_extension_for_class(x509.CertificatePolicies).value[0].policy_identifier.dotted_string}))
        """#
        let result = try ExternalTool.run("python3", ["-c", script, files.signing.path, files.userAuthentication.path])
        #expect(result.status == 0, "\(result.stderr)")
        struct Output: Decodable {
            let items: [[String]]
            let authSAN: Bool
            let authSubject: [String]
            let signingPolicy: String
        }
        let output = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
        let nameMap = String(repeating: "0", count: Fixtures.name.count)
        let addressMap = String(repeating: "0", count: Fixtures.address.count)
        #expect(output.items == [
            ["1.2.392.200149.8.5.5.1", Fixtures.name],
            ["1.2.392.200149.8.5.5.4", "319850615"],
            ["1.2.392.200149.8.5.5.3", "2"],
            ["1.2.392.200149.8.5.5.5", Fixtures.address],
            ["1.2.392.200149.8.5.5.2", nameMap],
            ["1.2.392.200149.8.5.5.6", addressMap],
        ])
        #expect(output.authSAN == false)
        #expect(output.authSubject == ["2.5.4.6", "2.5.4.3"])
        #expect(output.signingPolicy == "1.2.392.200149.8.5.1.1.20")
        let authBytes = try Data(contentsOf: files.userAuthentication)
        let authDER = try ExternalTool.run("openssl", ["x509", "-in", files.userAuthentication.path, "-outform", "DER"])
        for text in [Fixtures.name, Fixtures.address, "319850615"] {
            #expect(!authBytes.contains(Data(text.utf8)))
            #expect(!Data(authDER.stdout.utf8).contains(Data(text.utf8)))
        }
    }
}

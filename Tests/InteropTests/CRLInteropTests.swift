import Foundation
import JPKIAuthority
import JPKIEnrollment
import JPKIProfile
import JPKIPublication
import JPKIStore
import JPKITestSupport
import Testing
import X509

/// The CRLs we publish, read by clients nobody here wrote: `openssl crl`, `openssl verify
/// -crl_check` and Python's cryptography.
@Suite("Interop: OpenSSL and Python cryptography read our CRLs")
struct CRLInteropTests {
    /// Three Chiyoda-ku residents with both certificates: the first's revoked (signing for
    /// keyCompromise, user-authentication at death), the second's signing certificate held (card
    /// lost), the third's good.
    struct Scene {
        let service: TestService
        let scratch: URL
        let crl: URL
        let publisher: CRLPublisher
        let issued: [[IssuedCertificate]]

        var revoked: IssuedCertificate { issued[0][0] }
        var revokedAuthentication: IssuedCertificate { issued[0][1] }
        var held: IssuedCertificate { issued[1][0] }
        var good: IssuedCertificate { issued[2][0] }

        func pem(_ certificate: IssuedCertificate) throws -> URL {
            let url = scratch.appendingPathComponent("\(certificate.serialHex).pem")
            try (certificate.certificate.serializeAsPEM().pemString + "\n").write(to: url, atomically: true, encoding: .utf8)
            return url
        }

        func caPEM(_ kind: CertificateKind) throws -> URL {
            let url = scratch.appendingPathComponent("ca-\(kind).pem")
            try (service.authority(kind).certificate.serializeAsPEM().pemString + "\n").write(to: url, atomically: true, encoding: .utf8)
            return url
        }

        /// A published CRL converted to PEM, as `openssl verify -CRLfile` takes it.
        func crlPEM(_ relative: String) throws -> URL {
            let url = scratch.appendingPathComponent(relative.replacingOccurrences(of: "/", with: "_") + ".pem")
            let result = try ExternalTool.run("openssl", ["crl", "-inform", "DER", "-in", crl.appendingPathComponent(relative).path,
                                                          "-out", url.path])
            #expect(result.status == 0, "\(result.stderr)")
            return url
        }

        func remove() {
            service.remove()
            try? FileManager.default.removeItem(at: scratch)
        }
    }

    func scene() async throws -> Scene {
        let service = try TestService.make()
        let scratch = try ExternalTool.scratchDirectory()
        let issued = try await service.enrollRevokedHeldAndGood()
        let crl = scratch.appendingPathComponent("crl")
        return Scene(service: service, scratch: scratch, crl: crl,
                     publisher: CRLPublisher(runtime: service.runtime, root: crl, logger: service.logger), issued: issued)
    }

    func crlFiles(_ root: URL) -> [URL] {
        (FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? [])
            .filter { $0.pathExtension == "crl" }.sorted { $0.path < $1.path }
    }

    @Test func opensslVerifiesEveryCRLAgainstItsCA() async throws {
        let scene = try await scene()
        defer { scene.remove() }
        let report = await scene.publisher.publish()
        #expect(report.failures.isEmpty)
        // 3 signing partitions of Chiyoda and Shibuya and 4 shards of Setagaya, 8 user-authentication
        // shards: each a full CRL and a delta; and two ARLs.
        #expect(report.full == 14 && report.delta == 14 && report.arl == 2)
        let files = crlFiles(scene.crl)
        #expect(files.count == 30)
        for file in files {
            let kind = file.deletingLastPathComponent().lastPathComponent == "signing" ? CertificateKind.signing : .userAuthentication
            let result = try ExternalTool.run("openssl", ["crl", "-inform", "DER", "-in", file.path, "-noout", "-verify",
                                                          "-CAfile", try scene.caPEM(kind).path])
            #expect(result.status == 0 && result.stderr.contains("verify OK"), "\(file.path): \(result.stderr)")
        }
    }

    @Test func opensslVerifyRejectsRevokedAndHeldAndAcceptsGood() async throws {
        let scene = try await scene()
        defer { scene.remove() }
        _ = await scene.publisher.publish()
        let ca = try scene.caPEM(.signing).path
        let partition = try scene.crlPEM("13/signing/131016.crl").path
        for (certificate, expected) in [(scene.revoked, "certificate revoked"), (scene.held, "certificate revoked")] {
            let result = try ExternalTool.run("openssl", ["verify", "-crl_check", "-CAfile", ca, "-CRLfile", partition,
                                                          try scene.pem(certificate).path])
            #expect(result.status != 0)
            #expect((result.stdout + result.stderr).contains(expected), "\(result.stdout)\(result.stderr)")
        }
        let good = try ExternalTool.run("openssl", ["verify", "-crl_check", "-CAfile", ca, "-CRLfile", partition,
                                                    try scene.pem(scene.good).path])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")

        // The whole chain: the ARL covers the CA certificate, the partition CRL the holder's.
        let arl = try scene.crlPEM("13/signing/arl.crl").path
        let chain = try ExternalTool.run("openssl", ["verify", "-crl_check_all", "-CAfile", ca, "-CRLfile", partition,
                                                     "-CRLfile", arl, try scene.pem(scene.good).path])
        #expect(chain.status == 0, "\(chain.stdout)\(chain.stderr)")
        let withoutARL = try ExternalTool.run("openssl", ["verify", "-crl_check_all", "-CAfile", ca, "-CRLfile", partition,
                                                          try scene.pem(scene.good).path])
        #expect(withoutARL.status != 0, "the CA certificate's status needs the ARL")

        // Another partition's CRL does not cover the certificate: its distribution point differs.
        let other = try scene.crlPEM("13/signing/131130.crl").path
        let wrong = try ExternalTool.run("openssl", ["verify", "-crl_check", "-CAfile", ca, "-CRLfile", other,
                                                     try scene.pem(scene.good).path])
        #expect(wrong.status != 0)
        #expect((wrong.stdout + wrong.stderr).contains("different CRL scope"), "\(wrong.stdout)\(wrong.stderr)")
    }

    /// A hold shows as certificateHold in the next delta, and once lifted as removeFromCRL in
    /// the delta after (RFC 5280 §5.3.1: an earlier delta listed it), whether or not the base
    /// listed it; OpenSSL with -use_deltas follows both.
    @Test func holdAndResumeShowInTheDelta() async throws {
        let scene = try await scene()
        defer { scene.remove() }
        _ = await scene.publisher.publish()
        let ca = try scene.caPEM(.signing).path
        let good = scene.good.serialHex
        _ = try await scene.service.runtime.database.changeStatus(ca: "13/signing", serial: good, .hold, actor: "test",
                                                                  at: Date()) { _ in }
        let report = await scene.publisher.publish()
        #expect(report.full == 0 && report.delta == 1, "only the changed partition gets a new delta")
        let base = try scene.crlPEM("13/signing/131016.crl").path
        let delta = try scene.crlPEM("13/signing/131016-delta.crl").path
        let text = try ExternalTool.run("openssl", ["crl", "-in", delta, "-noout", "-text"]).stdout
        #expect(text.contains("Delta CRL Indicator: critical"))
        #expect(text.contains("Serial Number: \(good.uppercased())"))
        #expect(text.contains("Certificate Hold"))
        let onHold = try ExternalTool.run("openssl", ["verify", "-crl_check", "-use_deltas", "-CAfile", ca, "-CRLfile", base,
                                                      "-CRLfile", delta, try scene.pem(scene.good).path])
        #expect(onHold.status != 0 && (onHold.stdout + onHold.stderr).contains("certificate revoked"),
                "\(onHold.stdout)\(onHold.stderr)")

        /// Lifts the hold of `certificate`, publishes, and checks the delta says removeFromCRL
        /// and OpenSSL with -use_deltas accepts the certificate again.
        func release(_ certificate: IssuedCertificate) async throws {
            _ = try await scene.service.runtime.database.changeStatus(ca: "13/signing", serial: certificate.serialHex, .release,
                                                                      actor: "test", at: Date()) { _ in }
            let report = await scene.publisher.publish()
            #expect(report.full == 0 && report.delta == 1)
            let delta = try scene.crlPEM("13/signing/131016-delta.crl").path
            let text = try ExternalTool.run("openssl", ["crl", "-in", delta, "-noout", "-text"]).stdout
            let entry = text.components(separatedBy: "Serial Number: \(certificate.serialHex.uppercased())")
            #expect(entry.count == 2 && entry[1].prefix(200).contains("Remove From CRL"), "\(text)")
            let verified = try ExternalTool.run("openssl", ["verify", "-crl_check", "-use_deltas", "-CAfile", ca, "-CRLfile", base,
                                                            "-CRLfile", delta, try scene.pem(certificate).path])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        }
        // Held after the base and listed by the delta before: removeFromCRL.
        try await release(scene.good)
        // Held before the base, so on it: removeFromCRL too.
        try await release(scene.held)
    }

    /// Python's cryptography loads every CRL, checks its signature, and finds exactly the
    /// serials revoked or held in that partition, with their reasons; each CRL's
    /// issuingDistributionPoint is the distribution point its certificates carry.
    @Test func pythonFindsExactlyEachPartitionsSerials() async throws {
        let scene = try await scene()
        defer { scene.remove() }
        _ = await scene.publisher.publish()
        var expected: [String: [String: String]] = [:]
        for certificate in [scene.revoked, scene.revokedAuthentication, scene.held] {
            let file = "\(certificate.ca.prefecture)/\(certificate.ca.kind)/\(certificate.partition.id).crl"
            expected[file, default: [:]][certificate.serialHex] = certificate.serialHex == scene.held.serialHex ? "certificate_hold"
                : certificate.kind == .signing ? "key_compromise" : "cessation_of_operation"
        }
        let certificates = scene.issued.flatMap { $0 }
        let points = Dictionary(certificates.map { ("\($0.ca.prefecture)/\($0.ca.kind)/\($0.partition.id).crl", try! scene.pem($0).path) },
                                uniquingKeysWith: { first, _ in first })
        let request = try JSONSerialization.data(withJSONObject: [
            "root": scene.crl.path,
            "cas": ["signing": try scene.caPEM(.signing).path, "user-authentication": try scene.caPEM(.userAuthentication).path],
            "certificates": points,
        ])
        let script = #"""
        import json, os, sys
        from cryptography import x509
        from cryptography.x509.oid import ExtensionOID
        request = json.load(sys.stdin)
        cas = {kind: x509.load_pem_x509_certificate(open(path, "rb").read()) for kind, path in request["cas"].items()}
        found = {}
        idp_matches = {}
        for directory, _, files in os.walk(request["root"]):
            for name in [name for name in files if name.endswith(".crl")]:
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, request["root"])
                crl = x509.load_der_x509_crl(open(path, "rb").read())
                kind = relative.split("/")[1]
                assert crl.is_signature_valid(cas[kind].public_key()), relative
                assert crl.issuer == cas[kind].subject, relative
                entries = {}
                for entry in crl:
                    try:
                        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
                    except x509.ExtensionNotFound:
                        reason = "unspecified"
                    entries[format(entry.serial_number, "032x")] = reason
                if not name.endswith("-delta.crl"):
                    found[relative] = entries
                if name.endswith("-delta.crl"):
                    indicator = crl.extensions.get_extension_for_oid(ExtensionOID.DELTA_CRL_INDICATOR)
                    assert indicator.critical, relative
                    relative = relative.replace("-delta.crl", ".crl")  # same scope as its base
                if relative in request["certificates"]:
                    certificate = x509.load_pem_x509_certificate(open(request["certificates"][relative], "rb").read())
                    point = certificate.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value[0]
                    idp = crl.extensions.get_extension_for_oid(ExtensionOID.ISSUING_DISTRIBUTION_POINT)
                    idp_matches[relative] = idp_matches.get(relative, True) and (idp.critical and idp.value.full_name == point.full_name
                                             and idp.value.only_contains_user_certs)
        print(json.dumps({"found": found, "idp": idp_matches}))
        """#
        let result = try ExternalTool.run("python3", ["-c", script], stdin: request)
        #expect(result.status == 0, "\(result.stderr)")
        struct Output: Decodable {
            let found: [String: [String: String]]
            let idp: [String: Bool]
        }
        let output = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
        #expect(output.found.count == 16, "14 partitions and 2 ARLs")
        for (file, entries) in output.found {
            #expect(entries == (expected[file] ?? [:]), "\(file)")
        }
        #expect(Set(output.idp.keys) == Set(points.keys))
        #expect(output.idp.values.allSatisfy { $0 }, "\(output.idp)")
    }
}

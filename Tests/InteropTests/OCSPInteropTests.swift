import Foundation
import Hummingbird
import HummingbirdTesting
import JPKIAuthority
import JPKIEnrollment
import JPKIProfile
import JPKIPublication
import JPKIServer
import JPKIStore
import JPKITestSupport
import Testing
import X509

/// The OCSP responder on a real socket, asked by clients nobody here wrote: `openssl ocsp` and
/// Python's cryptography (over urllib, by POST and by GET).
@Suite("Interop: openssl ocsp and Python cryptography against the running responder")
struct OCSPInteropTests {
    /// ``TestService/enrollRevokedHeldAndGood()``: signing certificates revoked (keyCompromise),
    /// held and good. The refresher runs every second, as `serve` runs it.
    struct Scene {
        let service: TestService
        let scratch: URL
        let issued: [[IssuedCertificate]]
        let url: String

        var revoked: IssuedCertificate { issued[0][0] }
        var held: IssuedCertificate { issued[1][0] }
        var good: IssuedCertificate { issued[2][0] }

        func pem(_ certificate: IssuedCertificate) throws -> String {
            let url = scratch.appendingPathComponent("\(certificate.serialHex).pem")
            try (certificate.certificate.serializeAsPEM().pemString + "\n").write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }

        func caPEM(_ kind: CertificateKind = .signing) throws -> String {
            let url = scratch.appendingPathComponent("ca-\(kind).pem")
            try (service.authority(kind).certificate.serializeAsPEM().pemString + "\n").write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }

        /// `openssl ocsp` by POST: its output and whether it verified the response.
        func opensslOCSP(_ certificate: IssuedCertificate, nonce: Bool = true) async throws -> ExternalTool.Result {
            try await ExternalTool.runOffPool("openssl", ["ocsp", "-issuer", try caPEM(), "-cert", try pem(certificate), "-url", url,
                                             "-CAfile", try caPEM()] + (nonce ? [] : ["-no_nonce"]))
        }
    }

    func withScene(_ body: @Sendable (Scene) async throws -> Void) async throws {
        let service = try TestService.make()
        let scratch = try ExternalTool.scratchDirectory()
        defer {
            service.remove()
            try? FileManager.default.removeItem(at: scratch)
        }
        let issued = try await service.enrollRevokedHeldAndGood()
        let ocsp = try OCSPService(runtime: service.runtime, dataDirectory: service.directory, logger: service.logger)
        try await ocsp.refresher.pass()
        let crl = CRLPublisher(runtime: service.runtime, root: scratch.appendingPathComponent("crl"), logger: service.logger)
        let app = APIRoutes.application(runtime: service.runtime, crl: crl, ocsp: ocsp,
                                        configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: service.logger)
        let refresher = Task { await ocsp.refresher.run(every: .seconds(1)) }
        defer { refresher.cancel() }
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(Scene(service: service, scratch: scratch, issued: issued, url: "http://127.0.0.1:\(port)/ocsp"))
        }
    }

    @Test func opensslVerifiesGoodRevokedHeldAndUnknownByPOST() async throws {
        try await withScene { scene in
            for nonce in [true, false] {
                let good = try await scene.opensslOCSP(scene.good, nonce: nonce)
                #expect(good.stderr.contains("Response verify OK"), "\(good.stderr)")
                #expect(good.stdout.contains(": good"), "\(good.stdout)")
                let revoked = try await scene.opensslOCSP(scene.revoked, nonce: nonce)
                #expect(revoked.stderr.contains("Response verify OK"))
                #expect(revoked.stdout.contains(": revoked") && revoked.stdout.contains("Reason: keyCompromise"), "\(revoked.stdout)")
                let held = try await scene.opensslOCSP(scene.held, nonce: nonce)
                #expect(held.stdout.contains(": revoked") && held.stdout.contains("Reason: certificateHold"), "\(held.stdout)")
            }
            let unknown = try await ExternalTool.runOffPool("openssl", ["ocsp", "-issuer", try scene.caPEM(), "-serial", "0x7f0102030405060708",
                                                           "-url", scene.url, "-CAfile", try scene.caPEM()])
            #expect(unknown.stderr.contains("Response verify OK"))
            #expect(unknown.stdout.contains(": unknown"), "\(unknown.stdout)")
        }
    }

    @Test func aHoldAndAResumeShowWithinFiveSeconds() async throws {
        try await withScene { scene in
            let database = scene.service.runtime.database
            func until(_ expected: String) async throws -> Duration? {
                let start = ContinuousClock.now
                while ContinuousClock.now - start < .seconds(5) {
                    // No nonce: the pre-signed response, which only the refresher changes.
                    if try await scene.opensslOCSP(scene.good, nonce: false).stdout.contains(expected) { return ContinuousClock.now - start }
                }
                return nil
            }
            _ = try await database.changeStatus(ca: "13/signing", serial: scene.good.serialHex, .hold, actor: "test", at: Date()) { _ in }
            #expect(try await until("Reason: certificateHold") != nil, "the hold did not show within 5 s")
            _ = try await database.changeStatus(ca: "13/signing", serial: scene.good.serialHex, .release, actor: "test", at: Date()) { _ in }
            #expect(try await until(": good") != nil, "the resumption did not show within 5 s")
        }
    }

    /// Python's cryptography builds the requests (SHA-1 and SHA-256 CertIDs, with and without
    /// a nonce), sends them by POST and by GET, parses the answers, checks each status, the
    /// responder certificate (issued by the CA, OCSPSigning, ocsp-nocheck) and the signature,
    /// and the nonce echoed; then sends what is not a request and checks the status codes.
    @Test func pythonCryptographyChecksResponsesByPOSTAndGET() async throws {
        try await withScene { scene in
            let script = """
                import base64, os, sys, urllib.parse, urllib.request, urllib.error
                from cryptography import x509
                from cryptography.x509 import ocsp
                from cryptography.hazmat.primitives import hashes, serialization
                from cryptography.hazmat.primitives.asymmetric import ec
                url, ca_path = sys.argv[1], sys.argv[2]
                ca = x509.load_pem_x509_certificate(open(ca_path, 'rb').read())
                cases = [(x509.load_pem_x509_certificate(open(p, 'rb').read()), want) for p, want in zip(sys.argv[3::2], sys.argv[4::2])]
                def post(body, ctype='application/ocsp-request'):
                    req = urllib.request.Request(url, data=body, headers={'Content-Type': ctype})
                    try:
                        with urllib.request.urlopen(req) as r: return r.status, r.headers, r.read()
                    except urllib.error.HTTPError as e: return e.code, e.headers, e.read()
                def get(path):
                    try:
                        with urllib.request.urlopen(url + '/' + path) as r: return r.status, r.headers, r.read()
                    except urllib.error.HTTPError as e: return e.code, e.headers, e.read()
                checked = 0
                for cert, want in cases:
                    for algorithm in (hashes.SHA1(), hashes.SHA256()):
                        for nonce in (None, os.urandom(16)):
                            builder = ocsp.OCSPRequestBuilder().add_certificate(cert, ca, algorithm)
                            if nonce: builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
                            der = builder.build().public_bytes(serialization.Encoding.DER)
                            for method in ('POST', 'GET'):
                                status, headers, body = post(der) if method == 'POST' else get(urllib.parse.quote(base64.b64encode(der).decode(), safe=''))
                                assert status == 200 and headers['Content-Type'] == 'application/ocsp-response', (method, status)
                                resp = ocsp.load_der_ocsp_response(body)
                                assert resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
                                assert resp.serial_number == cert.serial_number
                                assert isinstance(resp.hash_algorithm, type(algorithm)), (resp.hash_algorithm, algorithm)
                                got = resp.certificate_status.name.lower()
                                if got == 'revoked': got += ' ' + (resp.revocation_reason.name if resp.revocation_reason else '')
                                assert got == want, (got, want)
                                responder = resp.certificates[0]
                                responder.verify_directly_issued_by(ca)
                                assert x509.ExtendedKeyUsageOID.OCSP_SIGNING in responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
                                responder.extensions.get_extension_for_class(x509.OCSPNoCheck)
                                responder.public_key().verify(resp.signature, resp.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))
                                assert resp.this_update_utc <= resp.next_update_utc
                                if nonce:
                                    assert resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
                                elif method == 'GET' and isinstance(algorithm, hashes.SHA1):
                                    assert 'max-age=' in headers['Cache-Control'] and headers['ETag'] and headers['Last-Modified']
                                checked += 1
                der = ocsp.OCSPRequestBuilder().add_certificate(cases[0][0], ca, hashes.SHA1()).build().public_bytes(serialization.Encoding.DER)
                b64 = base64.b64encode(der).decode()
                def status_of(answer):
                    code, _, body = answer
                    return code, ocsp.load_der_ocsp_response(body).response_status.name if code == 200 else None
                assert status_of(post(b'not an OCSP request')) == (200, 'MALFORMED_REQUEST')
                assert status_of(post(der[:-5])) == (200, 'MALFORMED_REQUEST')
                assert status_of(get(urllib.parse.quote(b64[:-7], safe=''))) == (200, 'MALFORMED_REQUEST')
                assert status_of(get('%%%')) == (200, 'MALFORMED_REQUEST')
                assert post(der, ctype='application/json')[0] == 415
                assert post(der + b'\\0' * 20000)[0] == 413
                assert status_of(get(b64)) == (200, 'SUCCESSFUL')  # '/' left unescaped
                assert status_of(post(der)) == (200, 'SUCCESSFUL')  # still serving
                print('checked', checked)
                """
            var arguments = ["-c", script, scene.url, try scene.caPEM()]
            for (certificate, want) in [(scene.good, "good"), (scene.revoked, "revoked key_compromise"),
                                        (scene.held, "revoked certificate_hold")] {
                arguments += [try scene.pem(certificate), want]
            }
            let result = try await ExternalTool.runOffPool("python3", arguments)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("checked 24"), "\(result.stdout)")
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIPublication
import JPKIServer
import JPKITestSupport
import Testing
import X509
import _CryptoExtras

@Suite("Verifier API and OCSP over HTTP: tiers, purposes, limits, audit")
struct VerifierRouteTests {
    static let government: HTTPFields = [.authorization: "Bearer government-secret"]
    static let `private`: HTTPFields = [.authorization: "Bearer private-secret"]

    /// How requests reach the routes: through Hummingbird's router alone, or through the
    /// service's server on a socket, where cached OCSP GETs and validity lookups are answered
    /// ahead of the router on the event loop (``EventLoopResponder``). Both must answer alike.
    enum Front: CaseIterable, Sendable {
        case router
        case server
    }

    func withApp(_ front: Front = .server, ocsp settings: OCSPSettings? = nil,
                 _ body: @Sendable (TestService, [IssuedCertificate], any TestClientProtocol) async throws -> Void) async throws {
        let service = try TestService.make(ocsp: settings)
        defer { service.remove() }
        let issued = try await NoticeFeed(service: service).enroll("12345678901")
        let ocsp = try OCSPService(runtime: service.runtime, dataDirectory: service.directory, logger: service.logger)
        try await ocsp.refresher.pass()
        let crl = CRLPublisher(runtime: service.runtime, root: service.directory.appendingPathComponent("crl"), logger: service.logger)
        switch front {
        case .router:
            let app = Application(router: APIRoutes.router(runtime: service.runtime, crl: crl, ocsp: ocsp))
            try await app.test(.router) { client in try await body(service, issued, client) }
        case .server:
            let app = APIRoutes.application(runtime: service.runtime, crl: crl, ocsp: ocsp,
                                            configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: service.logger)
            try await app.test(.live) { client in try await body(service, issued, client) }
        }
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
    }

    /// The verifier requests recorded in the audit log: each group entry's lines, oldest first.
    static func auditedRequests(_ service: TestService) throws -> [[String: String]] {
        try service.runtime.database.recentAuditEntries(limit: 500).reversed()
            .filter { $0.actor == "verifier-api" && $0.action == "verifier.requests" }
            .flatMap { entry -> [[String: String]] in
                let details = try JSONSerialization.jsonObject(with: Data(entry.details.utf8)) as? [String: String] ?? [:]
                let lines = (details["events"] ?? "").split(separator: "\n")
                #expect(details["count"] == "\(lines.count)")
                return try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] ?? [:] }
            }
    }

    static func errorCode(_ response: TestResponse) throws -> String? {
        (try object(response)["error"] as? [String: Any])?["code"] as? String
    }

    @Test(arguments: Front.allCases) func bothTiersCheckValidityAndUnknownSerialsAreUnknown(front: Front) async throws {
        try await withApp(front) { service, issued, client in
            let signing = issued[0]
            for headers in [Self.government, Self.private] {
                let response = try await client.execute(uri: "/v1/validity/13/signing/\(signing.serialHex)", method: .get, headers: headers)
                #expect(response.status == .ok)
                let body = try Self.object(response)
                #expect(body["status"] as? String == "good" && body["serial"] as? String == signing.serialHex)
                #expect(body["thisUpdate"] is String && body["nextUpdate"] is String)
            }
            // Each answered only once its line was committed.
            let audited = try Self.auditedRequests(service).filter { $0["action"] == "verifier.validity" }
            #expect(audited.map { [$0["serial"], $0["answer"]] } == Array(repeating: [signing.serialHex, "good"], count: 2))
            let unknown = try await client.execute(uri: "/v1/validity/13/signing/7f01020304050607", method: .get, headers: Self.private)
            #expect(try Self.object(unknown)["status"] as? String == "unknown")
            // Presented whole: ours is known; one with our issuer's name but another's signature is not.
            let pem = try signing.certificate.serializeAsPEM().pemString
            let presented = try await client.execute(uri: "/v1/validity", method: .post, headers: Self.private,
                                                     body: ByteBuffer(string: pem))
            #expect(try Self.object(presented)["status"] as? String == "good")
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let forged = try Certificate(version: .v3, serialNumber: signing.certificate.serialNumber,
                                         publicKey: .init(key.publicKey), notValidBefore: Date(), notValidAfter: Date() + 3600,
                                         issuer: signing.certificate.issuer, subject: signing.certificate.subject,
                                         signatureAlgorithm: .sha256WithRSAEncryption, extensions: .init(), issuerPrivateKey: .init(key))
            let refused = try await client.execute(uri: "/v1/validity", method: .post, headers: Self.private,
                                                   body: ByteBuffer(string: try forged.serializeAsPEM().pemString))
            #expect(try Self.object(refused)["status"] as? String == "unknown")
            let garbage = try await client.execute(uri: "/v1/validity", method: .post, headers: Self.private, body: ByteBuffer(string: "x"))
            #expect(try garbage.status == .badRequest && Self.errorCode(garbage) == "invalid_certificate")
            // Operators are not verifiers, nor the other way round; nobody unauthenticated.
            let desk = try await client.execute(uri: "/v1/validity/13/signing/\(signing.serialHex)", method: .get,
                                                headers: [.authorization: "Bearer chiyoda-secret"])
            #expect(try desk.status == .forbidden && Self.errorCode(desk) == "verifiers_only")
            let anonymous = try await client.execute(uri: "/v1/validity/13/signing/\(signing.serialHex)", method: .get)
            #expect(anonymous.status == .unauthorized)
            let verifierAsDesk = try await client.execute(uri: "/v1/certificates/13/signing/\(signing.serialHex)", method: .get,
                                                          headers: Self.government)
            #expect(try verifierAsDesk.status == .forbidden && Self.errorCode(verifierAsDesk) == "operators_only")
        }
    }

    @Test func linkageAndFourItemsAreForGovernmentWithAPurpose() async throws {
        try await withApp { service, issued, client in
            let old = issued[0]
            let feed = NoticeFeed(service: service)
            // The resident moves within Chiyoda-ku: the notice carries the new address, revokes
            // the signing certificate, and the desk issues a new one.
            var items = try Fixtures.application().fourItems!
            let address = "東京都千代田区丸の内二丁目"
            items.address = address
            items.addressSubstituteMap = String(repeating: "0", count: address.count)
            try await Task.sleep(for: .seconds(1))
            let (summary, _) = try await feed.ingest([try NoticeFeed.line(id: "n-1", kind: "move-within-municipality",
                                                                         resident: "12345678901", effectiveAt: NoticeFeed.justNow(),
                                                                         fourItems: items)])
            #expect(summary.applied == 1)
            // The read-out four items are the notice's until the desk confirms them again at the new issuance.
            do {
                let response = try await client.execute(uri: "/v1/four-items/13/signing/\(old.serialHex)?purpose=benefit-eligibility",
                                                        method: .get, headers: Self.government)
                #expect(try Self.object(response)["address"] as? String == address)
            }
            var application = try Fixtures.application(signingKey: 2)
            application.certificates = ["signing"]
            application.csrs = application.csrs?.filter { $0.key == "signing" }
            application.fourItems = items
            let renewed = try await service.runtime.enrollment.enroll(application, by: TestService.chiyodaDesk)[0]
            let linkage = "/v1/linkage/13/signing/\(old.serialHex)"
            let fourItems = "/v1/four-items/13/signing/\(old.serialHex)"
            for uri in [linkage, fourItems] {
                let refused = try await client.execute(uri: uri + "?purpose=benefit-eligibility", method: .get, headers: Self.private)
                #expect(try refused.status == .forbidden && Self.errorCode(refused) == "government_only")
                #expect(!String(buffer: refused.body).contains("丸の内"))
                let noPurpose = try await client.execute(uri: uri, method: .get, headers: Self.government)
                #expect(try noPurpose.status == .badRequest && Self.errorCode(noPurpose) == "purpose_required")
                let badPurpose = try await client.execute(uri: uri + "?purpose=curiosity", method: .get, headers: Self.government)
                #expect(try badPurpose.status == .badRequest && Self.errorCode(badPurpose) == "unknown_purpose")
            }
            let linked = try await client.execute(uri: linkage + "?purpose=benefit-eligibility", method: .get, headers: Self.government)
            #expect(linked.status == .ok)
            let current = try Self.object(linked)["current"] as? [String: Any]
            #expect(current?["serial"] as? String == renewed.serialHex)
            let latest = try await client.execute(uri: fourItems + "?purpose=benefit-eligibility", method: .get, headers: Self.government)
            #expect(latest.status == .ok)
            let body = try Self.object(latest)
            #expect(body["address"] as? String == "東京都千代田区丸の内二丁目" && body["name"] as? String == Fixtures.name)
            let authentication = try await client.execute(uri: "/v1/four-items/13/user-authentication/\(issued[1].serialHex)?purpose=benefit-eligibility",
                                                          method: .get, headers: Self.government)
            #expect(try authentication.status == .badRequest && Self.errorCode(authentication) == "not_a_signing_certificate")
            let unknown = try await client.execute(uri: "/v1/linkage/13/signing/7f01020304050607?purpose=benefit-eligibility",
                                                   method: .get, headers: Self.government)
            #expect(unknown.status == .notFound)
            // Every lookup is in the audit log, refusals too, with who, what, why and the answer;
            // the log holds no resident code and no four items.
            let requests = try Self.auditedRequests(service)
            #expect(requests.count == 11)
            #expect(requests.contains { $0["actor"] == "example-bank" && $0["answer"] == "refused government_only" })
            #expect(requests.contains { $0["actor"] == "city-benefits" && $0["action"] == "verifier.four-items"
                && $0["answer"] == "disclosed" && $0["purpose"] == "benefit-eligibility" && $0["serial"] == old.serialHex })
            #expect(requests.contains { $0["action"] == "verifier.linkage" && $0["answer"] == "current 13/signing \(renewed.serialHex)" })
            let everything = try service.runtime.database.recentAuditEntries(limit: 500).map(\.details).joined()
            #expect(!everything.contains("12345678901") && !everything.contains("丸の内"))
        }
    }

    @Test(arguments: Front.allCases) func aVerifierPastItsRateIsToldToWait(front: Front) async throws {
        try await withApp(front) { _, issued, client in
            var statuses: [HTTPResponse.Status] = []
            var retryAfter: String?
            for _ in 0..<5 {
                let response = try await client.execute(uri: "/v1/validity/13/signing/\(issued[0].serialHex)", method: .get,
                                                        headers: [.authorization: "Bearer limited-secret"])
                statuses.append(response.status)
                if response.status == .tooManyRequests {
                    retryAfter = response.headers[.retryAfter]
                    #expect(try Self.errorCode(response) == "rate_limited")
                }
            }
            // A burst of 3, refilled at one a minute (slow enough that a loaded machine cannot
            // refill it between these requests): the fourth and fifth come too soon, and are told
            // to wait until the next token, under a minute.
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests, .tooManyRequests])
            #expect(retryAfter.flatMap { Int($0) }.map { (1...60).contains($0) } == true, "\(retryAfter ?? "-")")
            // Another verifier has its own bucket.
            let other = try await client.execute(uri: "/v1/validity/13/signing/\(issued[0].serialHex)", method: .get,
                                                 headers: Self.private)
            #expect(other.status == .ok)
        }
    }

    @Test func registeredOCSPWantsAVerifierAndAuditsEachCheck() async throws {
        try await withApp(ocsp: OCSPSettings(access: .registered)) { service, issued, client in
            let issuer = try OCSPIssuer(service.authority(.signing))
            let request = try OCSPRequest(certIDs: [issuer.certID(serial: Array(issued[0].certificate.serialNumber.bytes)[...])])
                .serializedBytes()
            let headers: HTTPFields = [.contentType: "application/ocsp-request"]
            let anonymous = try await client.execute(uri: "/ocsp", method: .post, headers: headers, body: ByteBuffer(bytes: request))
            #expect(anonymous.status == .unauthorized && Array(buffer: anonymous.body) == [0x30, 0x03, 0x0A, 0x01, 0x06])
            var asVerifier = headers
            asVerifier[.authorization] = "Bearer private-secret"
            let answered = try await client.execute(uri: "/ocsp", method: .post, headers: asVerifier, body: ByteBuffer(bytes: request))
            #expect(answered.status == .ok && answered.headers[.contentType] == "application/ocsp-response")
            #expect(Array(buffer: answered.body).count > 500)
            // A registered verifier's GET answer is not for shared caches.
            let encoded = Data(request).base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let fetched = try await client.execute(uri: "/ocsp/" + encoded, method: .get,
                                                   headers: [.authorization: "Bearer private-secret"])
            #expect(fetched.status == .ok && fetched.headers[.cacheControl]?.hasPrefix("private,") == true)
            let audited = try Self.auditedRequests(service).filter { $0["action"] == "verifier.ocsp" }
            #expect(audited.count == 2 && audited.first?["actor"] == "example-bank"
                && audited.first?["answers"] == "13/signing \(issued[0].serialHex) good")
        }
    }

    @Test(arguments: Front.allCases) func openOCSPRefusesWhatIsNotARequestWithoutFalling(front: Front) async throws {
        try await withApp(front) { service, issued, client in
            let issuer = try OCSPIssuer(service.authority(.signing))
            let request = try OCSPRequest(certIDs: [issuer.certID(serial: Array(issued[0].certificate.serialNumber.bytes)[...])])
                .serializedBytes()
            let headers: HTTPFields = [.contentType: "application/ocsp-request"]
            let wrongType = try await client.execute(uri: "/ocsp", method: .post, headers: [.contentType: "text/plain"],
                                                     body: ByteBuffer(bytes: request))
            #expect(wrongType.status == .unsupportedMediaType)
            let huge = try await client.execute(uri: "/ocsp", method: .post, headers: headers,
                                                body: ByteBuffer(bytes: request + Array(repeating: 0, count: 20_000)))
            #expect(huge.status == .contentTooLarge)
            let garbage = try await client.execute(uri: "/ocsp", method: .post, headers: headers, body: ByteBuffer(string: "garbage"))
            #expect(garbage.status == .ok && Array(buffer: garbage.body) == [0x30, 0x03, 0x0A, 0x01, 0x01])
            let encoded = Data(request).base64EncodedString()
            let truncated = try await client.execute(uri: "/ocsp/" + encoded.dropLast(6), method: .get)
            #expect(Array(buffer: truncated.body) == [0x30, 0x03, 0x0A, 0x01, 0x01])
            let escaped = encoded.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let good = try await client.execute(uri: "/ocsp/" + escaped, method: .get)
            #expect(good.status == .ok && good.headers[.cacheControl]?.contains("max-age=") == true)
            let etag = try #require(good.headers[.eTag])
            let revalidated = try await client.execute(uri: "/ocsp/" + escaped, method: .get, headers: [.ifNoneMatch: etag])
            #expect(revalidated.status == .notModified)
        }
    }
}

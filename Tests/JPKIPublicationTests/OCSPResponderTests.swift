import Foundation
import GRDB
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
@testable import JPKIPublication
import JPKIStore
import JPKITestSupport
import Testing

@Suite("OCSP responder: pre-signed responses, re-signing, failures")
struct OCSPResponderTests {
    struct Scene {
        let service: TestService
        let ocsp: OCSPService
        let issued: [IssuedCertificate]
        let issuer: OCSPIssuer

        func request(_ certificate: IssuedCertificate, hash: OCSPCertID.HashAlgorithm = .sha1,
                     nonce: ArraySlice<UInt8>? = nil) throws -> ArraySlice<UInt8> {
            try OCSPRequest(certIDs: [issuer.certID(serial: Array(certificate.certificate.serialNumber.bytes)[...],
                                                    hashAlgorithm: hash)], nonce: nonce).serializedBytes()[...]
        }

        func change(_ certificate: IssuedCertificate, _ change: StatusChange) async throws {
            _ = try await service.runtime.database.changeStatus(ca: certificate.ca.description, serial: certificate.serialHex,
                                                                change, actor: "test", at: Date()) { _ in }
        }
    }

    func scene(cardExpiry: String? = nil) async throws -> Scene {
        let service = try TestService.make()
        var application = try Fixtures.application()
        application.cardExpiry = cardExpiry
        let issued = try await service.runtime.enrollment.enroll(application, by: TestService.chiyodaDesk)
        let ocsp = try OCSPService(runtime: service.runtime, dataDirectory: service.directory, logger: service.logger)
        return Scene(service: service, ocsp: ocsp, issued: issued, issuer: try OCSPIssuer(service.authority(.signing)))
    }

    @Test func aFirstPassSignsEveryNewCertificateAndServesItPreSigned() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        let report = try await scene.ocsp.refresher.pass()
        #expect(report.first == 2 && report.changed == 0)
        let answer = scene.ocsp.responder.respond(to: try scene.request(scene.issued[0]))
        #expect(answer.status == .successful)
        #expect(answer.presigned?.status == .good)
        #expect(answer.answered == ["13/signing \(scene.issued[0].serialHex) good"])
        // The second pass has nothing to do.
        #expect(try await scene.ocsp.refresher.pass() == OCSPRefresher.Report())
    }

    @Test func aRowNoResponderServesDoesNotHoldUpTheOthers() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        // A certificate of a CA no longer configured, queued like an issuance.
        try await scene.service.runtime.database.insertSyntheticCertificates([SyntheticCertificate(
            ca: "99/signing", serial: "7f0102030405060708", municipality: "991000", kind: .signing, partition: "991000",
            residentHash: Data(repeating: 9, count: 32), revokedAt: nil, reason: nil,
            notAfter: Int64(Date().timeIntervalSince1970) + 86_400)], queueForOCSP: true)
        try await scene.ocsp.refresher.pass()
        let counts = try scene.service.runtime.database.ocspResponseCounts(at: Int64(Date().timeIntervalSince1970))
        #expect(counts.responses == 2 && counts.pending == 0)
        #expect(scene.ocsp.responder.respond(to: try scene.request(scene.issued[0])).presigned?.status == .good)
        #expect(scene.ocsp.refresher.status.failure == nil)
    }

    @Test func holdResumeAndRevocationAreReSignedByTheNextPass() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        try await scene.ocsp.refresher.pass()
        let certificate = scene.issued[0]
        try await scene.change(certificate, .hold)
        #expect(try await scene.ocsp.refresher.pass().changed == 1)
        guard case .revoked(_, .certificateHold)? = scene.ocsp.responder.respond(to: try scene.request(certificate)).presigned?.status
        else { Issue.record("a held certificate is revoked with certificateHold"); return }
        try await scene.change(certificate, .release)
        #expect(try await scene.ocsp.refresher.pass().changed == 1)
        #expect(scene.ocsp.responder.respond(to: try scene.request(certificate)).presigned?.status == .good)
        try await scene.change(certificate, .revoke(.keyCompromise))
        try await scene.ocsp.refresher.pass()
        guard case .revoked(_, .keyCompromise)? = scene.ocsp.responder.respond(to: try scene.request(certificate)).presigned?.status
        else { Issue.record("revoked with keyCompromise"); return }
        // The stored response agrees with the cache: a fresh responder reading only the store says the same.
        let restarted = try OCSPService(runtime: scene.service.runtime, dataDirectory: scene.service.directory
            .appendingPathComponent("other"), logger: scene.service.logger)
        try await restarted.responders.refresh()
        #expect(restarted.responder.respond(to: try scene.request(certificate)).answered
                == ["13/signing \(certificate.serialHex) revoked keyCompromise"])
    }

    @Test func aSerialNeverIssuedIsUnknownNeverGood() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        try await scene.ocsp.refresher.pass()
        let request = try OCSPRequest(certIDs: [scene.issuer.certID(serial: [0x7F, 1, 2, 3, 4, 5, 6, 7])]).serializedBytes()
        let answer = scene.ocsp.responder.respond(to: request[...])
        #expect(answer.status == .successful && answer.presigned == nil)
        #expect(answer.answered == ["13/signing 7f01020304050607 unknown"])
    }

    @Test func aNonceOrASHA256CertIDIsAnsweredWithAResponseSignedNow() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        try await scene.ocsp.refresher.pass()
        for request in [try scene.request(scene.issued[0], nonce: [0x04, 0x02, 0x01, 0x02]),
                        try scene.request(scene.issued[0], hash: .sha256)] {
            let answer = scene.ocsp.responder.respond(to: request)
            #expect(answer.status == .successful && answer.presigned == nil)
            #expect(answer.answered == ["13/signing \(scene.issued[0].serialHex) good"])
        }
        // The nonce's bytes are in the signed response, once.
        let nonce: [UInt8] = [0x04, 0x10] + (0..<16).map { _ in UInt8.random(in: 0...255) }
        let body = scene.ocsp.responder.respond(to: try scene.request(scene.issued[0], nonce: nonce[...])).body
        let occurrences = (0...(body.count - nonce.count)).filter { body[$0..<$0 + nonce.count].elementsEqual(nonce) }
        #expect(occurrences.count == 1)
    }

    @Test func garbageIsMalformedAndForeignOrMixedIssuersAreUnauthorized() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        try await scene.ocsp.refresher.pass()
        #expect(scene.ocsp.responder.respond(to: Array("GET / HTTP/1.1".utf8)[...]).body == [0x30, 0x03, 0x0A, 0x01, 0x01])
        var foreign = scene.issuer.certID(serial: [1, 2, 3])
        foreign.issuerNameHash = ArraySlice(repeating: 9, count: 20)
        #expect(scene.ocsp.responder.respond(to: try OCSPRequest(certIDs: [foreign]).serializedBytes()[...]).status == .unauthorized)
        let authentication = try OCSPIssuer(scene.service.authority(.userAuthentication))
        let mixed = OCSPRequest(certIDs: [scene.issuer.certID(serial: [1]), authentication.certID(serial: [2])])
        #expect(scene.ocsp.responder.respond(to: try mixed.serializedBytes()[...]).status == .unauthorized)
    }

    /// A GET path (RFC 6960 Appendix A.1) is decoded once and then known by its cache key: asked
    /// again, it gets the response the cache holds now, not the one it got first.
    @Test func aGetPathIsAnsweredFromMemoryWithTheCurrentResponse() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        try await scene.ocsp.refresher.pass()
        func path(_ request: ArraySlice<UInt8>, padded: Bool = true) -> String {
            var base64 = Data(request).base64EncodedString()
            if !padded { base64 = String(base64.prefix { $0 != "=" }) }
            return "/ocsp/" + base64.replacingOccurrences(of: "/", with: "%2F").replacingOccurrences(of: "+", with: "%2B")
                .replacingOccurrences(of: "=", with: "%3D")
        }
        func fromMemory(_ path: String) -> PresignedResponse? {
            scene.ocsp.responder.presignedFromMemory(get: path, requestStart: path.index(path.startIndex, offsetBy: 6))
        }
        let certificate = scene.issued[0]
        let get = path(try scene.request(certificate))
        let paths = scene.ocsp.responder.getPaths
        let first = try #require(fromMemory(get))
        #expect(first === scene.ocsp.responder.respond(to: try scene.request(certificate)).presigned)
        #expect(paths.count == 1)
        #expect(fromMemory(get) === first)
        #expect(paths.count == 1)
        try await scene.change(certificate, .hold)
        try await scene.ocsp.refresher.pass()
        guard case .revoked(_, .certificateHold)? = fromMemory(get)?.status else {
            Issue.record("a path asked before the hold gets the held response"); return
        }
        #expect(fromMemory(path(try scene.request(certificate), padded: false))?.status == fromMemory(get)?.status)
        #expect(paths.count == 2)
        // Only RFC 5019 requests to our issuers are answered from memory, and only they are remembered.
        var foreign = scene.issuer.certID(serial: Array(certificate.certificate.serialNumber.bytes)[...])
        foreign.issuerNameHash = ArraySlice(repeating: 9, count: 20)
        let unknown = scene.issuer.certID(serial: [0x7F, 1, 2, 3, 4, 5, 6, 7])
        for other in [try scene.request(certificate, nonce: [0x04, 0x02, 0x01, 0x02]), try scene.request(certificate, hash: .sha256),
                      try OCSPRequest(certIDs: [foreign]).serializedBytes()[...], try OCSPRequest(certIDs: [unknown]).serializedBytes()[...],
                      Array("GET / HTTP/1.1".utf8)[...]] {
            #expect(fromMemory(path(other)) == nil)
        }
        // A query string is not base64: the router answers it.
        #expect(fromMemory(get + "?x=1") == nil && fromMemory(get + "%3F") == nil)
        #expect(fromMemory("/ocsp/%zz") == nil)
        // Every character escaped: the same request, answered, but too long a path to keep.
        let escaped = "/ocsp/" + Data(try scene.request(certificate)).base64EncodedString().utf8
            .map { String(format: "%%%02X", $0) }.joined()
        #expect(fromMemory(escaped)?.status == fromMemory(get)?.status)
        #expect(paths.count == 2)
    }

    @Test func anUnreadableStoreAnswersTryLater() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        try await scene.ocsp.refresher.pass()
        // Another connection takes the tables away from under the responder.
        let queue = try DatabaseQueue(path: scene.service.databasePath)
        try await queue.write { db in
            try db.execute(sql: "ALTER TABLE certificate RENAME TO certificate_gone; ALTER TABLE ocsp_response RENAME TO ocsp_response_gone")
        }
        let other = try OCSPRequest(certIDs: [scene.issuer.certID(serial: [0x55, 1, 2, 3, 4, 5, 6, 7])]).serializedBytes()
        let answer = scene.ocsp.responder.respond(to: other[...])
        #expect(answer.status == .tryLater && answer.body == [0x30, 0x03, 0x0A, 0x01, 0x03])
        // The refresher cannot sign either, and says so for the health endpoint.
        #expect(scene.ocsp.refresher.status.failure == nil)
        await #expect(throws: (any Error).self) { try await scene.ocsp.refresher.pass() }
        #expect(scene.ocsp.refresher.status.failure != nil && scene.ocsp.refresher.status.lastSuccess != nil)
    }

    @Test func firstResponsesAreDueAtSpreadTimesWithinHalfTheWindowAndThenReSigned() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        for resident in 0..<6 {
            _ = try await scene.service.runtime.enrollment.enroll(
                try Fixtures.application(residentCode: "2000000000\(resident)", signingKey: resident % 6, authKey: (resident + 1) % 6),
                by: TestService.chiyodaDesk)
        }
        let now = Date()
        #expect(try await scene.ocsp.refresher.pass(at: now).first == 14)
        let seconds = Int64(now.timeIntervalSince1970)
        let half = Int64(scene.ocsp.settings.responseValidity / 2)
        let database = scene.service.runtime.database
        #expect(try await database.dueOCSPResponses(at: seconds, limit: 100).isEmpty)
        #expect(try await database.dueOCSPResponses(at: seconds + half, limit: 100).count == 14)
        // Spread: not all due at one moment (14 draws from 43,200 seconds).
        let dueInFirstHalf = try await database.dueOCSPResponses(at: seconds + half / 2, limit: 100).count
        #expect(dueInFirstHalf > 0 && dueInFirstHalf < 14)
        let later = try await scene.ocsp.refresher.pass(at: now.addingTimeInterval(TimeInterval(half)), drain: true)
        #expect(later.refreshed == 14)
        // Re-signed ones are due half a window after their re-signing, all together.
        #expect(try await database.dueOCSPResponses(at: seconds + half + half - 1, limit: 100).isEmpty)
    }

    @Test func expiredCertificatesStopBeingReSigned() async throws {
        let tomorrow = CalendarDate(daysSinceEpoch: Int64(Date().timeIntervalSince1970) / 86_400 + 2)
        let scene = try await scene(cardExpiry: tomorrow.description)
        defer { scene.service.remove() }
        let now = Date()
        try await scene.ocsp.refresher.pass(at: now)
        let report = try await scene.ocsp.refresher.pass(at: now.addingTimeInterval(4 * 86_400))
        #expect(report.expired == 2 && report.refreshed == 0)
        #expect(try scene.service.runtime.database.ocspResponseCounts(at: Int64(now.timeIntervalSince1970)).responses == 0)
    }

    @Test func aResponderIsRenewedAtHalfLifeAndTheOldOneKeptUntilItExpires() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        let now = Date()
        let ca = scene.issued[0].ca
        #expect(try await scene.ocsp.responders.refresh(at: now).count == 2)
        let first = try #require(scene.ocsp.responders.current(for: ca))
        #expect(try await scene.ocsp.responders.refresh(at: now.addingTimeInterval(86_400)).isEmpty)
        let renewed = try await scene.ocsp.responders.refresh(at: now.addingTimeInterval(4 * 86_400))
        #expect(Set(renewed) == Set(scene.service.runtime.authorities.all.map(\.id)))
        let second = try #require(scene.ocsp.responders.current(for: ca))
        #expect(second.id != first.id)
        #expect(scene.ocsp.responders.responder(id: first.id) != nil)
        let certificate = second.identity.certificate
        #expect(try certificate.extensions.extendedKeyUsage?.contains(.ocspSigning) == true)
        #expect(certificate.extensions.first { $0.oid == OCSPNoCheck.oid } != nil)
        #expect(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) <= 7 * 86_400 + 60)
    }

    @Test func theCacheKeepsWhatIsReadAndEvictsWhatIsNot() async throws {
        let scene = try await scene()
        defer { scene.service.remove() }
        try await scene.ocsp.responders.refresh()
        let identity = try #require(scene.ocsp.responders.current(for: scene.issued[0].ca)).identity
        func entry(thisUpdate: Int64 = 100) -> PresignedResponse {
            PresignedResponse(status: .good, thisUpdate: thisUpdate, nextUpdate: thisUpdate + 10,
                              signed: SignedResponseData(responseData: [0x30, 0x00], signature: [UInt8.random(in: 0...255)]),
                              responder: identity)
        }
        let cache = OCSPResponseCache(capacity: 4, shards: 1)
        let keys = (0..<6).map { OCSPResponseCache.Key(ca: 0, serial: [UInt8($0), 1, 2, 3, 4, 5, 6, 7])! }
        let entries = (0..<6).map { _ in entry() }
        for index in 0..<4 { cache.store(entries[index], for: keys[index]) }
        #expect(cache.response(for: keys[0]) === entries[0])
        cache.store(entries[4], for: keys[4])
        // The entry just read had a second chance; the next one in the ring went.
        #expect(cache.response(for: keys[0]) === entries[0])
        #expect(cache.response(for: keys[1]) == nil)
        #expect(cache.count == 4)
        // A lookup from the store does not replace what the signer stored since.
        cache.store(entry(thisUpdate: 1), for: keys[0], unlessNewer: true)
        #expect(cache.response(for: keys[0]) === entries[0])
        #expect(OCSPResponseCache.Key(ca: 0, serial: Array(repeating: 1, count: 21)) == nil)
    }
}

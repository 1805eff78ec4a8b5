import JPKIAuthority
import JPKITestSupport
import SwiftASN1
import Testing

@Suite("OCSP requests and responses (RFC 6960)")
struct OCSPMessageTests {
    static let serial: ArraySlice<UInt8> = [0x31, 0x65, 0x45, 0x1e, 0xdb, 0xac, 0x9d, 0xd2]

    func issuer() throws -> OCSPIssuer {
        let service = try TestService.make()
        defer { service.remove() }
        return try OCSPIssuer(service.authority(.signing))
    }

    @Test func aRequestRoundTripsWithItsNonceAndHashes() throws {
        let issuer = try issuer()
        let request = OCSPRequest(certIDs: [issuer.certID(serial: Self.serial), issuer.certID(serial: [0x01], hashAlgorithm: .sha256)],
                                  nonce: [0x04, 0x02, 0xAB, 0xCD])
        let parsed = try OCSPRequest(derEncoded: try request.serializedBytes()[...])
        #expect(parsed == request)
        #expect(parsed.certIDs.map(\.hashAlgorithm) == [.sha1, .sha256])
        #expect(parsed.certIDs.allSatisfy(issuer.issued))
    }

    @Test func aCertIDWithAnotherIssuersHashesIsNotOurs() throws {
        let issuer = try issuer()
        var certID = issuer.certID(serial: Self.serial)
        certID.issuerKeyHash = ArraySlice(repeating: 0, count: 20)
        #expect(!issuer.issued(certID))
        certID = issuer.certID(serial: Self.serial)
        certID.hashAlgorithm = .other([2, 16, 840, 1, 101, 3, 4, 2, 3])  // SHA-512: not computed
        #expect(!issuer.issued(certID))
    }

    @Test func whatIsNotARequestIsRefused() throws {
        let issuer = try issuer()
        let good = try OCSPRequest(certIDs: [issuer.certID(serial: Self.serial)]).serializedBytes()
        let tooLongNonce = try OCSPRequest(certIDs: [issuer.certID(serial: Self.serial)],
                                           nonce: [0x04, 33] + Array(repeating: 7, count: 33)).serializedBytes()
        let tooMany = try OCSPRequest(certIDs: Array(repeating: issuer.certID(serial: Self.serial),
                                                     count: OCSPRequest.maximumCertificates + 1)).serializedBytes()
        let none = try OCSPRequest(certIDs: []).serializedBytes()
        for bytes in [[], [0x30, 0x00], Array("not DER at all".utf8), Array(good.dropLast(3)), good + [0x00],
                      tooLongNonce, tooMany, none] {
            #expect(throws: (any Error).self) { try OCSPRequest(derEncoded: bytes[...]) }
        }
    }

    @Test func unsuccessfulResponsesAreABareStatus() {
        #expect(OCSPResponseEnvelope.unsuccessful(.malformedRequest) == [0x30, 0x03, 0x0A, 0x01, 0x01])
        #expect(OCSPResponseEnvelope.unsuccessful(.tryLater) == [0x30, 0x03, 0x0A, 0x01, 0x03])
        #expect(OCSPResponseEnvelope.unsuccessful(.unauthorized) == [0x30, 0x03, 0x0A, 0x01, 0x06])
    }
}

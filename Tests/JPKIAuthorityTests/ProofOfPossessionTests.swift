import Crypto
import Foundation
import JPKITestSupport
import SwiftASN1
import Testing
import X509
import _CryptoExtras
@testable import JPKIAuthority

@Suite("Proof of possession: the resident's CSR")
struct ProofOfPossessionTests {
    @Test func acceptsAnRSA2048RequestInPEMAndDER() throws {
        let pem = try Fixtures.csr(Fixtures.keys[0])
        let key = try ProofOfPossession.verify(try ProofOfPossession.parse(pem))
        #expect(key == Certificate.PublicKey(Fixtures.keys[0].publicKey))
        let der = Data(try PEMDocument(pemString: pem).derBytes).base64EncodedString(options: .lineLength64Characters)
        #expect(try ProofOfPossession.verify(try ProofOfPossession.parse(der)) == key)
        let legacyLabel = pem.replacingOccurrences(of: "CERTIFICATE REQUEST", with: "NEW CERTIFICATE REQUEST")
        #expect(try ProofOfPossession.verify(try ProofOfPossession.parse(legacyLabel)) == key)
    }

    @Test func refusesAForgedSignature() throws {
        var der = try PEMDocument(pemString: try Fixtures.csr(Fixtures.keys[0])).derBytes
        der[der.count - 10] ^= 0x01  // inside the signature value
        let csr = try CertificateSigningRequest(derEncoded: der)
        #expect(throws: ProofOfPossession.Rejection.invalidSignature) { try ProofOfPossession.verify(csr) }
    }

    @Test func refusesARequestSignedByAnotherKey() throws {
        // The subject public key of one CSR with the signature of another: no proof of possession.
        let a = try CertificateSigningRequest(pemEncoded: try Fixtures.csr(Fixtures.keys[0], subject: "same"))
        let b = try CertificateSigningRequest(pemEncoded: try Fixtures.csr(Fixtures.keys[1], subject: "same"))
        var serializer = DER.Serializer()
        try serializer.serialize(a)
        let aDER = serializer.serializedBytes
        serializer = DER.Serializer()
        try serializer.serialize(b)
        let bDER = serializer.serializedBytes
        // Both are 256-byte RSA signatures at the end: splice b's signature onto a's body.
        let spliced = Array(aDER.dropLast(256)) + Array(bDER.suffix(256))
        #expect(throws: ProofOfPossession.Rejection.invalidSignature) {
            try ProofOfPossession.verify(try CertificateSigningRequest(derEncoded: spliced))
        }
    }

    @Test func refusesSmallRSAKeys() throws {
        // swift-crypto will not load such a key, so the refusal comes while parsing, with the size named.
        let pem = try Fixtures.opensslCSR(bits: 1024)
        #expect(throws: ProofOfPossession.Rejection.keySize(bits: 1024)) { try ProofOfPossession.parse(pem) }
    }

    @Test func refusesExponentsOtherThan65537() throws {
        let csr = try ProofOfPossession.parse(try Fixtures.opensslCSR(bits: 2048, exponent: 3))
        #expect(throws: ProofOfPossession.Rejection.publicExponent) { try ProofOfPossession.verify(csr) }
    }

    @Test func refusesOtherKeyTypes() throws {
        let csr = try CertificateSigningRequest(pemEncoded: try Fixtures.csr(Certificate.PrivateKey(P256.Signing.PrivateKey())))
        #expect(throws: ProofOfPossession.Rejection.unsupportedKeyType) { try ProofOfPossession.verify(csr) }
    }

    @Test("garbage is malformed", arguments: ["", "not a csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "MIIB"])
    func malformed(text: String) {
        #expect(throws: ProofOfPossession.Rejection.malformed) { try ProofOfPossession.parse(text) }
    }
}

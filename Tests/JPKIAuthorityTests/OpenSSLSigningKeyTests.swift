import Crypto
import JPKITestSupport
import SwiftASN1
import Testing
import X509
import _CryptoExtras
@testable import JPKIAuthority

@Suite("The CA's OpenSSL signing engine")
struct OpenSSLSigningKeyTests {
    let key = Fixtures.keys[2]

    func openssl() throws -> OpenSSLSigningKey {
        try OpenSSLSigningKey(pkcs8: try PEMDocument(pemString: key.pkcs8PEMRepresentation).derBytes)
    }

    /// PKCS#1 v1.5 signatures are deterministic: two correct implementations agree to the byte.
    @Test func signsExactlyAsSwiftCryptoDoes() throws {
        let message = Array("to be signed".utf8)
        let ours = try openssl().signSynchronously(bytes: message, signatureAlgorithm: .sha256WithRSAEncryption)
        let reference = try key.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
        #expect(ours.rawRepresentation == Array(reference.rawRepresentation))
        #expect(Certificate.PublicKey(key.publicKey).isValidSignature(ours.rawRepresentation, for: message, signatureAlgorithm: .sha256WithRSAEncryption))
    }

    @Test func exposesTheRightPublicKeyAndRefusesOtherAlgorithms() throws {
        let signer = try openssl()
        #expect(signer.publicKey == Certificate.PublicKey(key.publicKey))
        #expect(throws: OpenSSLSigningKey.Failure.self) {
            try signer.signSynchronously(bytes: [1, 2, 3], signatureAlgorithm: .sha384WithRSAEncryption)
        }
        #expect(throws: OpenSSLSigningKey.Failure.self) { try OpenSSLSigningKey(pkcs8: [0x30, 0x00]) }
    }

    @Test func signsConcurrently() async throws {
        let signer = try openssl()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask {
                    let message = Array("message \(i)".utf8)
                    let signature = try signer.signSynchronously(bytes: message, signatureAlgorithm: .sha256WithRSAEncryption)
                    return publicKey.isValidSignature(signature.rawRepresentation, for: message, signatureAlgorithm: .sha256WithRSAEncryption)
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
    }
}

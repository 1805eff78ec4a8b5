import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Checks a resident's PKCS#10 request (RFC 2986): it must parse, its self-signature must verify
/// (proof that the card holds the private key), and the key must be RSA of at least 2048 bits
/// with the exponent 65537, as the JPKI profile requires. The CSR's subject and requested
/// extensions are ignored: the CA decides every field of the certificate.
public enum ProofOfPossession {
    public enum Rejection: Error, Sendable, Equatable {
        /// Not a PKCS#10 request in PEM or DER (or base64 DER).
        case malformed
        /// The signature does not verify under the request's own key.
        case invalidSignature
        /// The key is not RSA.
        case unsupportedKeyType
        /// RSA below 2048 or above 4096 bits.
        case keySize(bits: Int)
        /// RSA with an exponent other than 65537.
        case publicExponent
    }

    public static let minimumRSABits = 2048
    public static let maximumRSABits = 4096

    /// Parses `text` as PEM (`CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`) or base64 DER.
    public static func parse(_ text: String) throws(Rejection) -> CertificateSigningRequest {
        let der: [UInt8]
        do {
            // Base64 has no hyphen, PEM's "-----BEGIN" has five: one byte scan tells them apart.
            if text.utf8.contains(UInt8(ascii: "-")) {
                let document = try PEMDocument(pemString: text)
                // OpenSSL and older tools label the same structure NEW CERTIFICATE REQUEST.
                guard ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"].contains(document.discriminator) else {
                    throw Rejection.malformed
                }
                der = document.derBytes
            } else {
                guard let bytes = Data(base64Encoded: text.filter { !$0.isWhitespace }) else { throw Rejection.malformed }
                der = Array(bytes)
            }
        } catch {
            throw .malformed
        }
        do {
            return try CertificateSigningRequest(derEncoded: der)
        } catch {
            // swift-crypto will not even load an RSA key under 2048 bits, so such a request fails
            // to parse; say why instead of calling it malformed.
            if let bits = rsaKeySize(inRequest: der), !(minimumRSABits...maximumRSABits).contains(bits) {
                throw .keySize(bits: bits)
            }
            throw .malformed
        }
    }

    /// The RSA modulus size of a request's subjectPublicKeyInfo, read with swift-asn1 alone:
    /// `CertificationRequest ::= SEQUENCE { certificationRequestInfo SEQUENCE { version, subject,
    /// subjectPKInfo, attributes }, … }` (RFC 2986 §4), the key an `RSAPublicKey ::= SEQUENCE {
    /// modulus INTEGER, publicExponent INTEGER }` (RFC 8017 §A.1.1) under rsaEncryption.
    static func rsaKeySize(inRequest der: [UInt8]) -> Int? {
        guard let root = try? DER.parse(der), case .constructed(let request) = root.content,
              let info = request.first(where: { _ in true }), case .constructed(let fields) = info.content,
              let spki = fields.dropFirst(2).first(where: { _ in true }), case .constructed(let parts) = spki.content,
              let algorithm = parts.first(where: { _ in true }),
              let oid = try? DER.sequence(algorithm, identifier: .sequence, { nodes in
                  defer { while nodes.next() != nil {} }  // the parameters (NULL for RSA)
                  return try ASN1ObjectIdentifier(derEncoded: &nodes)
              }),
              oid == [1, 2, 840, 113549, 1, 1, 1],  // rsaEncryption
              let keyNode = parts.dropFirst().first(where: { _ in true }),
              let bits = try? ASN1BitString(derEncoded: keyNode),
              let modulus = try? DER.sequence(try DER.parse(Array(bits.bytes)), identifier: .sequence, { nodes in
                  defer { while nodes.next() != nil {} }  // the public exponent
                  return try ArraySlice<UInt8>(derEncoded: &nodes)
              }) else { return nil }
        let significant = modulus.drop { $0 == 0 }
        guard let first = significant.first else { return 0 }
        return (significant.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }

    /// Verifies `csr` and returns the public key to certify.
    public static func verify(_ csr: CertificateSigningRequest) throws(Rejection) -> Certificate.PublicKey {
        guard let rsa = _RSA.Signing.PublicKey(csr.publicKey) else { throw .unsupportedKeyType }
        let bits = rsa.keySizeInBits
        guard (minimumRSABits...maximumRSABits).contains(bits) else { throw .keySize(bits: bits) }
        guard let primitives = try? rsa.getKeyPrimitives(),
              primitives.publicExponent.drop(while: { $0 == 0 }) == Data([0x01, 0x00, 0x01]) else {
            throw .publicExponent
        }
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else { throw .invalidSignature }
        return csr.publicKey
    }
}

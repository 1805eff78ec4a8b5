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
        do {
            if text.contains("-----BEGIN") {
                // OpenSSL and older tools label the same structure NEW CERTIFICATE REQUEST.
                return try CertificateSigningRequest(pemEncoded: text.replacingOccurrences(of: "NEW CERTIFICATE REQUEST", with: "CERTIFICATE REQUEST"))
            }
            let compact = text.filter { !$0.isWhitespace }
            guard let der = Data(base64Encoded: compact) else { throw Rejection.malformed }
            return try CertificateSigningRequest(derEncoded: Array(der))
        } catch {
            throw .malformed
        }
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

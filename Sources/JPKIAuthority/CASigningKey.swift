import Crypto
import X509

/// A CA's signing key: what issuance needs (a swift-certificates `CustomPrivateKey`) and one
/// operation more, signing a SHA-256 digest computed elsewhere. A CRL is hashed as it streams
/// to disk and never held whole in memory, so its signature cannot take the bytes. A PKCS#11
/// token signs digests the same way (CKM_RSA_PKCS over a DigestInfo).
public protocol CASigningKey: CustomPrivateKey {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) over a SHA-256 digest.
    func signature(forSHA256Digest digest: SHA256.Digest) throws -> [UInt8]
}

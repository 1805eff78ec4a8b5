import COpenSSLCrypto
import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A CA's RSA key held by the system OpenSSL libcrypto, exposed to swift-certificates as a
/// `CustomPrivateKey`: the same seam a PKCS#11 token will use.
///
/// Why not swift-crypto's `_RSA` for this one operation: its BoringSSL has no AVX-512 IFMA
/// Montgomery code, and on the machines this CA runs on OpenSSL 3 computes RSA-2048 signatures
/// about 1.7 times as fast in the same process (see docs/BENCHMARKS.md). Signing is the CA's bottleneck. Everything
/// else (certificate building, CSR verification, hashing, key generation and key encryption)
/// stays in swift-crypto and swift-certificates. The key reaches OpenSSL as PKCS#8 DER, only in
/// memory, after ``FileKeyVault`` decrypted it.
public struct OpenSSLSigningKey: CASigningKey, @unchecked Sendable {
    /// Owns the `EVP_PKEY` and a pool of signing contexts prepared once (sign_init, PKCS#1 v1.5
    /// padding, SHA-256). Preparing a context in OpenSSL 3.0 fetches algorithms under global
    /// locks, which halves the single-core rate and serialises threads; reusing prepared contexts
    /// leaves only the RSA arithmetic. A context is used by one thread at a time.
    final class Handle: @unchecked Sendable {
        let pkey: OpaquePointer
        private var idle: [OpaquePointer] = []
        private let lock = NSLock()

        init(pkcs8 der: [UInt8]) throws {
            let key = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                let key = d2i_AutoPrivateKey(nil, &cursor, buffer.count)
                // The whole buffer must be the key: trailing bytes mean it is not what we think.
                guard cursor == buffer.baseAddress.map({ $0 + buffer.count }) else {
                    key.map(EVP_PKEY_free)
                    return nil
                }
                return key
            }
            guard let key, EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else {
                key.map(EVP_PKEY_free)
                ERR_clear_error()
                throw Failure.unusableKey
            }
            pkey = key
        }

        /// The SubjectPublicKeyInfo DER of the key as libcrypto holds it.
        func subjectPublicKeyInfo() throws -> [UInt8] {
            var buffer: UnsafeMutablePointer<UInt8>?
            let length = i2d_PUBKEY(pkey, &buffer)
            guard length > 0, let buffer else { throw Failure.unusableKey }
            defer { CRYPTO_free(buffer, #file, #line) }
            return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
        }

        deinit {
            idle.forEach(EVP_PKEY_CTX_free)
            EVP_PKEY_free(pkey)
        }

        /// Signs a SHA-256 `digest` with a prepared context.
        func sign(digest: [UInt8]) throws -> [UInt8] {
            let context = try checkOut()
            defer { checkIn(context) }
            var length = Int(EVP_PKEY_get_size(pkey))
            var signature = [UInt8](repeating: 0, count: length)
            let status = signature.withUnsafeMutableBufferPointer { output in
                EVP_PKEY_sign(context, output.baseAddress, &length, digest, digest.count)
            }
            guard status == 1 else {
                ERR_clear_error()  // leave no stale error on this thread's queue
                throw Failure.signingFailed
            }
            return Array(signature.prefix(length))
        }

        private func checkOut() throws -> OpaquePointer {
            lock.lock()
            let reused = idle.popLast()
            lock.unlock()
            if let reused { return reused }
            guard let context = EVP_PKEY_CTX_new(pkey, nil) else { throw Failure.signingFailed }
            guard EVP_PKEY_sign_init(context) == 1,
                  EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1,
                  EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1 else {
                EVP_PKEY_CTX_free(context)
                ERR_clear_error()
                throw Failure.signingFailed
            }
            return context
        }

        private func checkIn(_ context: OpaquePointer) {
            lock.lock()
            idle.append(context)
            lock.unlock()
        }
    }

    public enum Failure: Error, Sendable {
        /// libcrypto would not load the key as RSA.
        case unusableKey
        /// Only sha256WithRSAEncryption is produced: the JPKI profile's algorithm.
        case unsupportedAlgorithm
        /// libcrypto failed to sign.
        case signingFailed
    }

    let handle: Handle
    let pkcs8: [UInt8]
    public let publicKey: Certificate.PublicKey

    /// Loads the RSA key from its PKCS#8 DER encoding.
    public init(pkcs8 der: [UInt8]) throws {
        handle = try Handle(pkcs8: der)
        pkcs8 = der
        // The public half as libcrypto sees it, so that the certificate names exactly the key that signs.
        publicKey = try Certificate.PublicKey(derEncoded: try handle.subjectPublicKeyInfo())
    }

    public var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm { .sha256WithRSAEncryption }
    public var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [.sha256WithRSAEncryption] }

    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2) over `bytes`.
    public func signSynchronously(bytes: some DataProtocol, signatureAlgorithm: Certificate.SignatureAlgorithm) throws
        -> Certificate.Signature
    {
        guard signatureAlgorithm == .sha256WithRSAEncryption else { throw Failure.unsupportedAlgorithm }
        return try Certificate.Signature(signatureAlgorithm: signatureAlgorithm,
                                         signatureBytes: ASN1BitString(bytes: try sign(Array(bytes))[...]))
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        try handle.sign(digest: Array(SHA256.hash(data: message)))
    }

    public func signature(forSHA256Digest digest: SHA256.Digest) throws -> [UInt8] {
        try handle.sign(digest: Array(digest))
    }

    // Hashable and PEMSerializable, as CustomPrivateKey requires: a key is its public half, and
    // it serializes as the PKCS#8 it was loaded from.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.publicKey == rhs.publicKey }
    public func hash(into hasher: inout Hasher) { hasher.combine(publicKey) }
    public static var defaultPEMDiscriminator: String { "PRIVATE KEY" }
    public func serialize(into coder: inout DER.Serializer) throws { coder.serializeRawBytes(pkcs8) }
}

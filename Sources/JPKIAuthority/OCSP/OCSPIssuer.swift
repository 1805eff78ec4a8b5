import Crypto
import SwiftASN1
import X509

/// A CA as OCSP requests name it: the hashes of its subject DN and of its public key that a
/// CertID carries (RFC 6960 §4.1.1), computed once for each hash a client may use.
public struct OCSPIssuer: Sendable {
    public let ca: CertificateAuthorityID
    private let nameDER: [UInt8]
    private let keyBits: [UInt8]
    private let sha1: (name: [UInt8], key: [UInt8])
    private let sha256: (name: [UInt8], key: [UInt8])

    public init(_ authority: CertificateAuthority) throws {
        ca = authority.id
        var name = DER.Serializer()
        try name.serialize(authority.certificate.subject)
        nameDER = name.serializedBytes
        // issuerKeyHash covers the subjectPublicKey BIT STRING's value, not the whole SPKI.
        var spki = DER.Serializer()
        try spki.serialize(authority.certificate.publicKey)
        keyBits = try DER.sequence(try DER.parse(spki.serializedBytes), identifier: .sequence) { nodes in
            _ = nodes.next()
            return Array(try ASN1BitString(derEncoded: &nodes).bytes)
        }
        sha1 = (Array(Insecure.SHA1.hash(data: nameDER)), Array(Insecure.SHA1.hash(data: keyBits)))
        sha256 = (Array(SHA256.hash(data: nameDER)), Array(SHA256.hash(data: keyBits)))
    }

    /// Whether `certID` names this CA.
    public func issued(_ certID: OCSPCertID) -> Bool {
        switch certID.hashAlgorithm {
        case .sha1: certID.issuerNameHash.elementsEqual(sha1.name) && certID.issuerKeyHash.elementsEqual(sha1.key)
        case .sha256: certID.issuerNameHash.elementsEqual(sha256.name) && certID.issuerKeyHash.elementsEqual(sha256.key)
        case .other: false
        }
    }

    /// The CertID a client hashing with `algorithm` sends for `serial` of this CA.
    public func certID(serial: ArraySlice<UInt8>, hashAlgorithm algorithm: OCSPCertID.HashAlgorithm = .sha1) -> OCSPCertID {
        let hashes = algorithm == .sha256 ? sha256 : sha1
        return OCSPCertID(hashAlgorithm: algorithm == .sha256 ? .sha256 : .sha1, issuerNameHash: hashes.name[...],
                          issuerKeyHash: hashes.key[...], serialNumber: serial)
    }
}

import Crypto
import Foundation
import SwiftASN1

/// The certificate an OCSP request asks about and a response answers for, RFC 6960 §4.1.1:
///
/// ```
/// CertID ::= SEQUENCE {
///     hashAlgorithm       AlgorithmIdentifier,
///     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
///     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
///     serialNumber        CertificateSerialNumber }
/// ```
/// The issuer is named by hashes of its DN and of its key's BIT STRING value, with the hash the
/// client chose. RFC 5019 §2.1.1 has lightweight clients use SHA-1; SHA-256 is read too, and
/// any other hash is kept as its OID so that the responder can say it serves no such issuer.
public struct OCSPCertID: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public enum HashAlgorithm: Hashable, Sendable {
        case sha1
        case sha256
        case other(ASN1ObjectIdentifier)

        static let sha1OID: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
        static let sha256OID: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]

        init(oid: ASN1ObjectIdentifier) {
            self = oid == Self.sha1OID ? .sha1 : oid == Self.sha256OID ? .sha256 : .other(oid)
        }

        var oid: ASN1ObjectIdentifier {
            switch self {
            case .sha1: Self.sha1OID
            case .sha256: Self.sha256OID
            case .other(let oid): oid
            }
        }

        /// The digest of `bytes`, or nil for a hash this responder does not compute.
        public func digest(_ bytes: some DataProtocol) -> [UInt8]? {
            switch self {
            case .sha1: Array(Insecure.SHA1.hash(data: bytes))
            case .sha256: Array(SHA256.hash(data: bytes))
            case .other: nil
            }
        }
    }

    public var hashAlgorithm: HashAlgorithm
    public var issuerNameHash: ArraySlice<UInt8>
    public var issuerKeyHash: ArraySlice<UInt8>
    /// The serial number's DER INTEGER content octets.
    public var serialNumber: ArraySlice<UInt8>

    public init(hashAlgorithm: HashAlgorithm, issuerNameHash: ArraySlice<UInt8>, issuerKeyHash: ArraySlice<UInt8>,
                serialNumber: ArraySlice<UInt8>) {
        self.hashAlgorithm = hashAlgorithm
        self.issuerNameHash = issuerNameHash
        self.issuerKeyHash = issuerKeyHash
        self.serialNumber = serialNumber
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            // AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }: the
            // parameters of SHA-1 and SHA-2 are NULL or absent (RFC 5754 §2), and are not read.
            guard let algorithm = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "CertID without hashAlgorithm") }
            let oid = try DER.sequence(algorithm, identifier: .sequence) { nodes in
                let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
                _ = nodes.next()
                return oid
            }
            let nameHash = try ASN1OctetString(derEncoded: &nodes)
            let keyHash = try ASN1OctetString(derEncoded: &nodes)
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            return OCSPCertID(hashAlgorithm: HashAlgorithm(oid: oid), issuerNameHash: nameHash.bytes,
                              issuerKeyHash: keyHash.bytes, serialNumber: serial)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(hashAlgorithm.oid)
                try coder.serialize(ASN1Null())
            }
            try coder.serialize(ASN1OctetString(contentBytes: issuerNameHash))
            try coder.serialize(ASN1OctetString(contentBytes: issuerKeyHash))
            try coder.serialize(serialNumber)
        }
    }
}

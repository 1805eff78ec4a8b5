import Crypto
import SwiftASN1
import X509

/// The DER of a CRL around its entries (RFC 5280 §5.1), so that the entries can stream through
/// from disk and a CRL of millions of entries never sits whole in memory:
///
/// ```
/// CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
/// TBSCertList ::= SEQUENCE {
///      version v2, signature AlgorithmIdentifier, issuer Name, thisUpdate Time, nextUpdate Time,
///      revokedCertificates SEQUENCE OF … OPTIONAL, crlExtensions [0] EXPLICIT Extensions }
/// ```
/// The signature is over ``head`` + the entries + ``tail`` (the TBSCertList's DER), and the CRL
/// is the ``envelope(signature:)`` header, those three, and the envelope's trailer. revokedCertificates is absent when there are no entries, as §5.1.2.6 asks.
/// Always sha256WithRSAEncryption, the JPKI profile's algorithm.
public struct CertificateListFrame: Sendable {
    /// TBSCertList's tag and length, its fields through nextUpdate, and revokedCertificates' tag
    /// and length when there are entries.
    public let head: [UInt8]
    /// crlExtensions.
    public let tail: [UInt8]
    let tbsLength: Int

    static let signatureAlgorithmOID: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 11]

    /// `thisUpdate` and `nextUpdate` are Unix seconds; `entriesLength` is the byte count of the
    /// entries' DER, all of them, which go between ``head`` and ``tail``.
    public init(issuer: DistinguishedName, thisUpdate: Int64, nextUpdate: Int64, extensions: [Certificate.Extension],
                entriesLength: Int) throws {
        var fields = DER.Serializer()
        try fields.serialize(1)  // v2
        try Self.serializeSignatureAlgorithm(into: &fields)
        try fields.serialize(issuer)
        try CRLTime.serialize(thisUpdate, into: &fields)
        try CRLTime.serialize(nextUpdate, into: &fields)
        var tailCoder = DER.Serializer()
        try tailCoder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
            try coder.serializeSequenceOf(extensions)
        }
        let entriesHeader = entriesLength > 0 ? Self.header(0x30, length: entriesLength) : []
        let contentLength = fields.serializedBytes.count + entriesHeader.count + entriesLength + tailCoder.serializedBytes.count
        let tbsHeader = Self.header(0x30, length: contentLength)
        head = tbsHeader + fields.serializedBytes + entriesHeader
        tail = tailCoder.serializedBytes
        tbsLength = tbsHeader.count + contentLength
    }

    /// What comes around the TBSCertList once it is signed: CertificateList's tag and length
    /// before ``head``, and signatureAlgorithm and signatureValue after ``tail``.
    public func envelope(signature: [UInt8]) throws -> (header: [UInt8], trailer: [UInt8]) {
        var coder = DER.Serializer()
        try Self.serializeSignatureAlgorithm(into: &coder)
        try coder.serialize(ASN1BitString(bytes: signature[...]))
        return (Self.header(0x30, length: tbsLength + coder.serializedBytes.count), coder.serializedBytes)
    }

    /// AlgorithmIdentifier ::= SEQUENCE { sha256WithRSAEncryption, NULL } (RFC 4055 §5).
    private static func serializeSignatureAlgorithm(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(signatureAlgorithmOID)
            try coder.serialize(ASN1Null())
        }
    }

    /// A constructed universal tag and its DER length (X.690 §8.1.3: short form below 128,
    /// else the fewest octets that hold it).
    static func header(_ tag: UInt8, length: Int) -> [UInt8] {
        guard length >= 128 else { return [tag, UInt8(length)] }
        var octets: [UInt8] = []
        var remaining = length
        while remaining > 0 {
            octets.insert(UInt8(remaining & 0xFF), at: 0)
            remaining >>= 8
        }
        return [tag, 0x80 | UInt8(octets.count)] + octets
    }
}

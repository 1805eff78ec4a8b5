import SwiftASN1

/// An OCSP request, RFC 6960 §4.1.1, read for what a responder acts on:
///
/// ```
/// OCSPRequest ::= SEQUENCE {
///     tbsRequest              TBSRequest,
///     optionalSignature   [0] EXPLICIT Signature OPTIONAL }
/// TBSRequest ::= SEQUENCE {
///     version             [0] EXPLICIT Version DEFAULT v1,
///     requestorName       [1] EXPLICIT GeneralName OPTIONAL,
///     requestList             SEQUENCE OF Request,
///     requestExtensions   [2] EXPLICIT Extensions OPTIONAL }
/// Request ::= SEQUENCE {
///     reqCert                     CertID,
///     singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
/// ```
/// The requestor's name and signature are not checked: who may ask is decided by the HTTP
/// layer (open, or registered verifiers with a credential). Of the request extensions only the
/// nonce (§4.4.1) is acted on; unknown non-critical ones are ignored, as §4.4 allows, and a
/// critical one is refused. Single-request extensions are not read at all.
public struct OCSPRequest: Sendable, Hashable {
    /// RFC 6960 requires at least one; RFC 5019 §2.1.1 lightweight clients send exactly one.
    public var certIDs: [OCSPCertID]
    /// The nonce extension's extnValue octets, echoed verbatim in the response (RFC 8954 §2.1).
    public var nonce: ArraySlice<UInt8>?

    /// id-pkix-ocsp-nonce.
    public static let nonceOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]
    /// RFC 8954 §2.1: a nonce is 1 to 32 octets; a responder may refuse a longer one.
    public static let maximumNonceLength = 32
    /// Requests naming more certificates are refused: one response is signed for them all, each
    /// looked up in the store. RFC 5019 §2.1.1 clients send one.
    public static let maximumCertificates = 16

    public init(certIDs: [OCSPCertID], nonce: ArraySlice<UInt8>? = nil) {
        self.certIDs = certIDs
        self.nonce = nonce
    }

    /// Reads a DER request; throws for anything that is not one (the responder answers
    /// `malformedRequest`).
    public init(derEncoded bytes: ArraySlice<UInt8>) throws {
        let root = try DER.parse(bytes)
        self = try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbs = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "OCSPRequest without tbsRequest") }
            _ = nodes.next() // optionalSignature: not verified (see above).
            return try DER.sequence(tbs, identifier: .sequence) { nodes in
                let version = try DER.decodeDefaultExplicitlyTagged(
                    &nodes, tagNumber: 0, tagClass: .contextSpecific, defaultValue: 0) { try Int(derEncoded: $0) }
                guard version == 0 else { throw ASN1Error.invalidASN1Object(reason: "OCSP request version \(version)") }
                _ = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { $0 }
                guard let list = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "no requestList") }
                let certIDs = try DER.sequence(of: Request.self, identifier: .sequence, rootNode: list).map(\.certID)
                guard !certIDs.isEmpty, certIDs.count <= Self.maximumCertificates else {
                    throw ASN1Error.invalidASN1Object(reason: "requestList holds \(certIDs.count) requests")
                }
                let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 2, tagClass: .contextSpecific) { node in
                    try DER.sequence(of: Extension.self, identifier: .sequence, rootNode: node)
                } ?? []
                var nonce: ArraySlice<UInt8>?
                for ext in extensions {
                    if ext.oid == Self.nonceOID {
                        nonce = try Self.checkedNonce(ext.value)
                    } else if ext.critical {
                        // An extension the responder cannot honour (RFC 5280 §4.2, by analogy).
                        throw ASN1Error.invalidASN1Object(reason: "critical request extension \(ext.oid)")
                    }
                }
                return OCSPRequest(certIDs: certIDs, nonce: nonce)
            }
        }
    }

    /// RFC 8954 §2.1: the extnValue is an OCTET STRING of 1 to 32 octets. Older clients put
    /// the nonce there without the inner OCTET STRING; either form is echoed as received.
    static func checkedNonce(_ value: ArraySlice<UInt8>) throws -> ArraySlice<UInt8> {
        let inner = (try? ASN1OctetString(derEncoded: value))?.bytes ?? value
        guard (1...maximumNonceLength).contains(inner.count) else {
            throw ASN1Error.invalidASN1Object(reason: "nonce of \(inner.count) octets")
        }
        return value
    }

    /// The serialized form of a request, for tests and the benchmark's clients.
    public func serializedBytes() throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serializeSequenceOf(certIDs.map { Request(certID: $0) })
                if let nonce {
                    try coder.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) { coder in
                        try coder.serializeSequenceOf([Extension(oid: Self.nonceOID, critical: false, value: nonce)])
                    }
                }
            }
        }
        return coder.serializedBytes
    }

    /// Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions
    /// OPTIONAL }: no single-request extension is understood, so none is read.
    struct Request: DERImplicitlyTaggable {
        static var defaultIdentifier: ASN1Identifier { .sequence }
        let certID: OCSPCertID

        init(certID: OCSPCertID) { self.certID = certID }

        init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
            certID = try DER.sequence(rootNode, identifier: identifier) { nodes in
                let certID = try OCSPCertID(derEncoded: &nodes)
                _ = nodes.next()
                return certID
            }
        }

        func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
            try coder.appendConstructedNode(identifier: identifier) { try $0.serialize(certID) }
        }
    }
}

/// Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
/// extnValue OCTET STRING } (RFC 5280 §4.1), as OCSP requests and responses carry them.
struct Extension: DERImplicitlyTaggable {
    static var defaultIdentifier: ASN1Identifier { .sequence }
    let oid: ASN1ObjectIdentifier
    let critical: Bool
    let value: ArraySlice<UInt8>

    init(oid: ASN1ObjectIdentifier, critical: Bool, value: ArraySlice<UInt8>) {
        self.oid = oid
        self.critical = critical
        self.value = value
    }

    init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let critical = try DER.decodeDefault(&nodes, identifier: .boolean, defaultValue: false) { try Bool(derEncoded: $0) }
            let value = try ASN1OctetString(derEncoded: &nodes)
            return Extension(oid: oid, critical: critical, value: value.bytes)
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(oid)
            if critical { try coder.serialize(true) }
            try coder.serialize(ASN1OctetString(contentBytes: value))
        }
    }
}

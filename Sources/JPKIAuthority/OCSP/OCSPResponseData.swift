import JPKIProfile
import SwiftASN1

/// What a response says of one certificate, RFC 6960 §4.2.1:
///
/// ```
/// CertStatus ::= CHOICE {
///     good        [0]     IMPLICIT NULL,
///     revoked     [1]     IMPLICIT RevokedInfo,
///     unknown     [2]     IMPLICIT UnknownInfo }
/// RevokedInfo ::= SEQUENCE {
///     revocationTime              GeneralizedTime,
///     revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
/// ```
/// A held certificate is `revoked` with reason certificateHold (§2.2); `unknown` is for a
/// serial the CA never issued, never `good` (§2.2, and RFC 6960's point of not answering good
/// for what the responder does not know).
public enum OCSPCertStatus: Hashable, Sendable {
    case good
    /// Unix seconds, and the reason (left out when unspecified, as in CRLs: RFC 5280 §5.3.1).
    case revoked(at: Int64, reason: RevocationReason?)
    case unknown
}

/// One certificate's answer, RFC 6960 §4.2.1:
///
/// ```
/// SingleResponse ::= SEQUENCE {
///     certID                       CertID,
///     certStatus                   CertStatus,
///     thisUpdate                   GeneralizedTime,
///     nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
///     singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
/// ```
/// nextUpdate is always given: RFC 5019 §2.2.4 requires it of pre-produced responses, and
/// clients and caches rely on it.
public struct OCSPSingleResponse: Hashable, Sendable, DERSerializable {
    public var certID: OCSPCertID
    public var status: OCSPCertStatus
    /// Unix seconds.
    public var thisUpdate: Int64
    public var nextUpdate: Int64

    public init(certID: OCSPCertID, status: OCSPCertStatus, thisUpdate: Int64, nextUpdate: Int64) {
        self.certID = certID
        self.status = status
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(certID)
            switch status {
            case .good:
                coder.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { _ in }
            case .revoked(let time, let reason):
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)) { coder in
                    try coder.serialize(try CRLTime.generalized(time))
                    if let reason, reason != .unspecified {
                        try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                            try reason.rawValue.serialize(into: &coder, withIdentifier: .enumerated)
                        }
                    }
                }
            case .unknown:
                coder.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)) { _ in }
            }
            try coder.serialize(try CRLTime.generalized(thisUpdate))
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.serialize(try CRLTime.generalized(nextUpdate))
            }
        }
    }
}

/// The signed part of a basic response, RFC 6960 §4.2.1:
///
/// ```
/// ResponseData ::= SEQUENCE {
///     version              [0] EXPLICIT Version DEFAULT v1,
///     responderID              ResponderID,
///     producedAt               GeneralizedTime,
///     responses                SEQUENCE OF SingleResponse,
///     responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
/// ResponderID ::= CHOICE {
///     byName   [1] Name,
///     byKey    [2] KeyHash }
/// KeyHash ::= OCTET STRING -- SHA-1 hash of responder's public key (excluding the tag and length fields)
/// ```
/// The responder is named by key, as RFC 5019 §2.2.3 recommends (shorter, and stable across a
/// re-issued responder certificate with the same key). ResponderID's tags are explicit: the
/// OCSP module is EXPLICIT TAGS (RFC 6960 Appendix B.1).
public struct OCSPResponseData: Hashable, Sendable, DERSerializable {
    public var responderKeyHash: [UInt8]
    /// Unix seconds.
    public var producedAt: Int64
    public var responses: [OCSPSingleResponse]
    /// A request's nonce extnValue, echoed (RFC 8954 §2.1).
    public var nonce: ArraySlice<UInt8>?

    public init(responderKeyHash: [UInt8], producedAt: Int64, responses: [OCSPSingleResponse], nonce: ArraySlice<UInt8>? = nil) {
        self.responderKeyHash = responderKeyHash
        self.producedAt = producedAt
        self.responses = responses
        self.nonce = nonce
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) { coder in
                try coder.serialize(ASN1OctetString(contentBytes: responderKeyHash[...]))
            }
            try coder.serialize(try CRLTime.generalized(producedAt))
            try coder.serializeSequenceOf(responses)
            if let nonce {
                try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { coder in
                    try coder.serializeSequenceOf([Extension(oid: OCSPRequest.nonceOID, critical: false, value: nonce)])
                }
            }
        }
    }
}

import SwiftASN1

/// The outcome of an OCSP request, RFC 6960 §4.2.1 (OCSPResponseStatus): only `successful`
/// carries a signed answer; the others are bare status codes.
public enum OCSPResponseStatus: Int, Sendable {
    case successful = 0
    /// The request could not be read.
    case malformedRequest = 1
    case internalError = 2
    /// The responder cannot answer now (its store is unreachable); try again later.
    case tryLater = 3
    case sigRequired = 5
    /// The responder does not serve this issuer, or this client (§2.3).
    case unauthorized = 6
}

/// The OCSPResponse envelope, RFC 6960 §4.2.1, put together from parts signed beforehand:
///
/// ```
/// OCSPResponse ::= SEQUENCE {
///     responseStatus         OCSPResponseStatus,
///     responseBytes      [0] EXPLICIT ResponseBytes OPTIONAL }
/// ResponseBytes ::= SEQUENCE {
///     responseType   OBJECT IDENTIFIER,   -- id-pkix-ocsp-basic
///     response       OCTET STRING }
/// BasicOCSPResponse ::= SEQUENCE {
///     tbsResponseData      ResponseData,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signature            BIT STRING,
///     certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ```
/// A pre-signed response is stored as its ResponseData and signature only; the responder
/// certificate (§4.2.2.2: the client needs it to check a delegated responder) is added as the
/// response is served, so that a million stored responses do not each carry a copy of it.
public enum OCSPResponseEnvelope {
    /// id-pkix-ocsp-basic.
    static let basicResponseOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1]

    /// A response with no answer: every status but `successful`.
    public static func unsuccessful(_ status: OCSPResponseStatus) -> [UInt8] {
        [0x30, 0x03, 0x0A, 0x01, UInt8(status.rawValue)]
    }

    /// A successful response: ResponseData as signed, its signature, and the certificates
    /// that let a client check the signer.
    public static func successful(responseData: ArraySlice<UInt8>, signatureAlgorithm: ArraySlice<UInt8>,
                                  signature: ArraySlice<UInt8>, certificates: ArraySlice<UInt8>) throws -> [UInt8] {
        var basic = DER.Serializer()
        try basic.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(responseData)
            coder.serializeRawBytes(signatureAlgorithm)
            try coder.serialize(ASN1BitString(bytes: signature))
            coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                coder.appendConstructedNode(identifier: .sequence) { $0.serializeRawBytes(certificates) }
            }
        }
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try OCSPResponseStatus.successful.rawValue.serialize(into: &coder, withIdentifier: .enumerated)
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(basicResponseOID)
                    try coder.serialize(ASN1OctetString(contentBytes: basic.serializedBytes[...]))
                }
            }
        }
        return coder.serializedBytes
    }
}

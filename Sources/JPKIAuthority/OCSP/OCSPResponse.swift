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
///
/// This runs for every OCSP request, so the envelope is written by hand, in one pass with every
/// length known beforehand: swift-asn1's serializer writes a constructed node's content first
/// and then moves it to make room for the length, which around a 1 KB certificate and five
/// levels of nesting was the largest cost of answering a request.
public enum OCSPResponseEnvelope {
    /// id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1), as a DER TLV.
    static let basicResponseType: [UInt8] = [0x06, 0x09, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01]
    /// responseStatus successful: ENUMERATED 0.
    static let successfulStatus: [UInt8] = [0x0A, 0x01, 0x00]

    /// A response with no answer: every status but `successful`.
    public static func unsuccessful(_ status: OCSPResponseStatus) -> [UInt8] {
        [0x30, 0x03, 0x0A, 0x01, UInt8(status.rawValue)]
    }

    /// A successful response: ResponseData as signed, the signatureAlgorithm TLV, the signature
    /// octets, and the certificates (each a DER Certificate) that let a client check the signer.
    public static func successful(responseData: ArraySlice<UInt8>, signatureAlgorithm: ArraySlice<UInt8>,
                                  signature: ArraySlice<UInt8>, certificates: ArraySlice<UInt8>) -> [UInt8] {
        let bitString = 1 + signature.count
        let certificateSequence = headerSize(certificates.count) + certificates.count
        let certs = headerSize(certificateSequence) + certificateSequence
        let basic = responseData.count + signatureAlgorithm.count + headerSize(bitString) + bitString + certs
        let octets = headerSize(basic) + basic
        let responseBytes = basicResponseType.count + headerSize(octets) + octets
        let explicit = headerSize(responseBytes) + responseBytes
        let outer = successfulStatus.count + headerSize(explicit) + explicit
        var out: [UInt8] = []
        out.reserveCapacity(headerSize(outer) + outer)
        appendHeader(0x30, outer, to: &out)                     // OCSPResponse
        out += successfulStatus                                 //   responseStatus
        appendHeader(0xA0, explicit, to: &out)                  //   [0] EXPLICIT
        appendHeader(0x30, responseBytes, to: &out)             //     ResponseBytes
        out += basicResponseType                                //       responseType
        appendHeader(0x04, octets, to: &out)                    //       response OCTET STRING
        appendHeader(0x30, basic, to: &out)                     //         BasicOCSPResponse
        out += responseData                                     //           tbsResponseData
        out += signatureAlgorithm                               //           signatureAlgorithm
        appendHeader(0x03, bitString, to: &out)                 //           signature BIT STRING
        out.append(0)                                           //             no unused bits
        out += signature
        appendHeader(0xA0, certificateSequence, to: &out)       //           certs [0] EXPLICIT
        appendHeader(0x30, certificates.count, to: &out)        //             SEQUENCE OF Certificate
        out += certificates
        return out
    }

    /// Tag and DER length octets (X.690 §8.1.3: short form below 128, else the long form).
    static func headerSize(_ length: Int) -> Int {
        length < 0x80 ? 2 : 2 + (Int.bitWidth - length.leadingZeroBitCount + 7) / 8
    }

    static func appendHeader(_ tag: UInt8, _ length: Int, to out: inout [UInt8]) {
        out.append(tag)
        guard length >= 0x80 else { return out.append(UInt8(length)) }
        let octets = (Int.bitWidth - length.leadingZeroBitCount + 7) / 8
        out.append(0x80 | UInt8(octets))
        for shift in stride(from: (octets - 1) * 8, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: length >> shift)) }
    }
}

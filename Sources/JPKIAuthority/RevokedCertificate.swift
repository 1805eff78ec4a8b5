import JPKIProfile
import SwiftASN1

/// One entry of a CRL's revokedCertificates, RFC 5280 §5.1.2.6:
///
/// ```
/// SEQUENCE {
///      userCertificate         CertificateSerialNumber,
///      revocationDate          Time,
///      crlEntryExtensions      Extensions OPTIONAL }
/// ```
/// with the entry extensions of §5.3: reasonCode, left out when the reason is unspecified
/// (§5.3.1 asks so); holdInstructionCode `id-holdinstruction-callissuer` on a hold (RFC 3280
/// §5.3.2: the card was reported lost, and a relying party should ask the issuer); and
/// invalidityDate, when the certificate was invalid before it was revoked (a card on hold since
/// it was lost, then revoked).
public struct RevokedCertificate: DERSerializable, Sendable, Hashable {
    /// The serial number's DER integer content.
    public var serial: ArraySlice<UInt8>
    /// Unix seconds.
    public var revocationDate: Int64
    public var reason: RevocationReason?
    public var invalidityDate: Int64?

    public init(serial: ArraySlice<UInt8>, revocationDate: Int64, reason: RevocationReason?, invalidityDate: Int64? = nil) {
        self.serial = serial
        self.revocationDate = revocationDate
        self.reason = reason
        self.invalidityDate = invalidityDate
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(serial)
            try CRLTime.serialize(revocationDate, into: &coder)
            let reasonCode = reason.flatMap { $0 == .unspecified ? nil : $0 }
            guard reasonCode != nil || invalidityDate != nil else { return }
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                if let reasonCode {
                    // The reason's extensions are the same bytes for every entry with that reason.
                    coder.serializeRawBytes(Self.reasonExtensions[reasonCode.rawValue])
                }
                if let invalidityDate {
                    try Self.serializeExtension(Self.invalidityDateOID, into: &coder) { try $0.serialize(try CRLTime.generalized(invalidityDate)) }
                }
            }
        }
    }

    static let reasonCodeOID: ASN1ObjectIdentifier = [2, 5, 29, 21]
    static let holdInstructionCodeOID: ASN1ObjectIdentifier = [2, 5, 29, 23]
    static let invalidityDateOID: ASN1ObjectIdentifier = [2, 5, 29, 24]
    /// id-holdinstruction-callissuer (RFC 3280 §5.3.2).
    static let holdInstructionCallIssuer: ASN1ObjectIdentifier = [1, 2, 840, 10040, 2, 2]

    /// Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE (omitted), extnValue OCTET STRING }.
    static func serializeExtension(_ oid: ASN1ObjectIdentifier, into coder: inout DER.Serializer,
                                   value: (inout DER.Serializer) throws -> Void) throws {
        var inner = DER.Serializer()
        try value(&inner)
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(oid)
            try coder.serialize(ASN1OctetString(contentBytes: inner.serializedBytes[...]))
        }
    }

    /// The reasonCode extension (and, for a hold, the holdInstructionCode) of each reason,
    /// encoded once, by CRLReason value (RFC 5280 §5.3.1: 0…10).
    static let reasonExtensions: [[UInt8]] = {
        var table = [[UInt8]](repeating: [], count: 11)
        for reason in [RevocationReason.keyCompromise, .cACompromise, .affiliationChanged, .superseded,
                       .cessationOfOperation, .certificateHold, .removeFromCRL] {
            var coder = DER.Serializer()
            try? serializeExtension(reasonCodeOID, into: &coder) { try reason.rawValue.serialize(into: &$0, withIdentifier: .enumerated) }
            if reason == .certificateHold {
                try? serializeExtension(holdInstructionCodeOID, into: &coder) { try $0.serialize(holdInstructionCallIssuer) }
            }
            table[reason.rawValue] = coder.serializedBytes
        }
        return table
    }()
}

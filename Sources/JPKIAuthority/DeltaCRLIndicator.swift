import SwiftASN1
import X509

/// The deltaCRLIndicator extension, RFC 5280 §5.2.4: `BaseCRLNumber ::= CRLNumber`, the number
/// of the complete CRL a delta CRL updates. It is always critical, so that a client that does
/// not know deltas never mistakes one for a complete CRL.
public struct DeltaCRLIndicator: CertificateExtensionConvertible, Hashable, Sendable {
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 27]

    public var baseCRLNumber: Int64

    public init(baseCRLNumber: Int64) {
        self.baseCRLNumber = baseCRLNumber
    }

    public func makeCertificateExtension() throws -> Certificate.Extension {
        var coder = DER.Serializer()
        try coder.serialize(baseCRLNumber)
        return Certificate.Extension(oid: Self.oid, critical: true, value: coder.serializedBytes[...])
    }
}

import SwiftASN1
import X509

/// The cRLNumber extension, RFC 5280 §5.2.3: `CRLNumber ::= INTEGER (0..MAX)`, a number that
/// strictly increases for each CRL of a scope (here a partition; its full and delta CRLs share
/// the sequence). Non-critical.
public struct CRLNumber: NonCriticalExtension, Hashable, Sendable {
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 20]
    public static var defaultIdentifier: ASN1Identifier { .integer }

    public var number: Int64

    public init(_ number: Int64) {
        self.number = number
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        number = try Int64(derEncoded: rootNode, withIdentifier: identifier)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try number.serialize(into: &coder, withIdentifier: identifier)
    }
}

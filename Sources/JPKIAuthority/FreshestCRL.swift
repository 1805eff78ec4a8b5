import SwiftASN1
import X509

/// The freshestCRL extension, RFC 5280 §4.2.1.15 and §5.2.6: where the delta CRL of the same
/// scope is published, with the syntax of cRLDistributionPoints. Full CRLs carry it, and so do
/// certificates, so that a client that knows deltas finds them. Non-critical, as required.
public struct FreshestCRL: Hashable, Sendable, NonCriticalExtension {
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 46]

    public var points: [DistributionPoint]

    public init(_ points: [DistributionPoint]) {
        self.points = points
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        points = try CRLDistributionPoints(derEncoded: rootNode, withIdentifier: identifier).points
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try CRLDistributionPoints(points).serialize(into: &coder, withIdentifier: identifier)
    }
}

import SwiftASN1
import X509

/// A CRL distribution point named by its full names: RFC 5280 §4.2.1.13.
///
/// ```
/// DistributionPoint ::= SEQUENCE {
///      distributionPoint       [0]     DistributionPointName OPTIONAL,
///      reasons                 [1]     ReasonFlags OPTIONAL,
///      cRLIssuer               [2]     GeneralNames OPTIONAL }
/// DistributionPointName ::= CHOICE {
///      fullName                [0]     GeneralNames,
///      nameRelativeToCRLIssuer [1]     RelativeDistinguishedName }
/// ```
/// JPKI names each partition by a directoryName and (a project choice) an HTTP URI for the same
/// CRL; neither reasons nor cRLIssuer is used. The same value names the partition in the CRL's
/// issuingDistributionPoint (RFC 5280 §5.2.5), which must match exactly.
public struct DistributionPoint: Hashable, Sendable {
    public var fullName: [GeneralName]

    public init(fullName: [GeneralName]) {
        self.fullName = fullName
    }

    static let distributionPointTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
    static let fullNameTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)

    /// Writes `[0] { [0] { GeneralName… } }`: the explicit CHOICE wrapper and the implicit fullName.
    func serializeDistributionPointName(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: Self.distributionPointTag) { coder in
            try coder.appendConstructedNode(identifier: Self.fullNameTag) { coder in
                for name in fullName { try coder.serialize(name) }
            }
        }
    }

    /// Reads the `[0] DistributionPointName` if it is next, as written by the serializer.
    static func parseDistributionPointName(_ nodes: inout ASN1NodeCollection.Iterator) throws -> [GeneralName] {
        try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
            try DER.sequence(of: GeneralName.self, identifier: fullNameTag, rootNode: node)
        } ?? []
    }
}

/// The cRLDistributionPoints extension, RFC 5280 §4.2.1.13.
public struct CRLDistributionPoints: Hashable, Sendable, NonCriticalExtension {
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 31]

    public var points: [DistributionPoint]

    public init(_ points: [DistributionPoint]) {
        self.points = points
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        points = try DER.sequence(of: Entry.self, identifier: identifier, rootNode: rootNode).map(\.point)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.serializeSequenceOf(points.map(Entry.init), identifier: identifier)
    }

    struct Entry: DERImplicitlyTaggable {
        static var defaultIdentifier: ASN1Identifier { .sequence }
        var point: DistributionPoint

        init(_ point: DistributionPoint) { self.point = point }

        init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
            self = try DER.sequence(rootNode, identifier: identifier) { nodes in
                let names = try DistributionPoint.parseDistributionPointName(&nodes)
                while nodes.next() != nil {}  // reasons, cRLIssuer: not used by JPKI
                return Entry(DistributionPoint(fullName: names))
            }
        }

        func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
            try coder.appendConstructedNode(identifier: identifier) { try point.serializeDistributionPointName(into: &$0) }
        }
    }
}

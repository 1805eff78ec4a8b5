import SwiftASN1
import X509

/// The certificatePolicies extension, RFC 5280 §4.2.1.4, with policy identifiers only.
///
/// ```
/// certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
/// PolicyInformation ::= SEQUENCE {
///      policyIdentifier   CertPolicyId,
///      policyQualifiers   SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo OPTIONAL }
/// ```
/// JPKI certificates name one policy and no qualifiers; qualifiers are skipped when reading.
public struct CertificatePolicies: Hashable, Sendable, NonCriticalExtension {
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 32]

    public var policies: [ASN1ObjectIdentifier]

    public init(_ policies: [ASN1ObjectIdentifier]) {
        self.policies = policies
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        let policies = try DER.sequence(of: PolicyInformation.self, identifier: identifier, rootNode: rootNode)
        guard !policies.isEmpty else {
            throw ASN1Error.invalidASN1Object(reason: "certificatePolicies must name at least one policy")
        }
        self.policies = policies.map(\.identifier)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.serializeSequenceOf(policies.map(PolicyInformation.init), identifier: identifier)
    }

    struct PolicyInformation: DERImplicitlyTaggable {
        static var defaultIdentifier: ASN1Identifier { .sequence }
        var identifier: ASN1ObjectIdentifier

        init(_ identifier: ASN1ObjectIdentifier) { self.identifier = identifier }

        init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
            self = try DER.sequence(rootNode, identifier: identifier) { nodes in
                let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
                _ = nodes.next()  // policyQualifiers, not used by JPKI
                return PolicyInformation(oid)
            }
        }

        func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
            try coder.appendConstructedNode(identifier: identifier) { try $0.serialize(self.identifier) }
        }
    }
}

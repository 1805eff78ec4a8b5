import SwiftASN1
import X509

/// The issuingDistributionPoint extension of a CRL, RFC 5280 §5.2.5, always critical:
///
/// ```
/// IssuingDistributionPoint ::= SEQUENCE {
///      distributionPoint          [0] DistributionPointName OPTIONAL,
///      onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
///      onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
///      onlySomeReasons            [3] ReasonFlags OPTIONAL,
///      indirectCRL                [4] BOOLEAN DEFAULT FALSE,
///      onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
/// ```
/// A partition's CRL names exactly the distribution point its certificates carry (the same
/// directoryName and URI: a client checks they match, §6.3.3 (b)(2)) and covers end-entity
/// certificates only; the ARL covers CA certificates only. The other fields are not used.
public struct IssuingDistributionPoint: CertificateExtensionConvertible, Hashable, Sendable {
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 28]

    public enum Coverage: Sendable, Hashable {
        case userCertificates
        case caCertificates
    }

    public var distributionPoint: DistributionPoint
    public var coverage: Coverage

    public init(_ distributionPoint: DistributionPoint, coverage: Coverage) {
        self.distributionPoint = distributionPoint
        self.coverage = coverage
    }

    public func makeCertificateExtension() throws -> Certificate.Extension {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try distributionPoint.serializeDistributionPointName(into: &coder)
            // DER leaves out a BOOLEAN equal to its DEFAULT, so only the TRUE flag is written.
            let flag: UInt = coverage == .userCertificates ? 1 : 2
            try true.serialize(into: &coder, withIdentifier: ASN1Identifier(tagWithNumber: flag, tagClass: .contextSpecific))
        }
        return Certificate.Extension(oid: Self.oid, critical: true, value: coder.serializedBytes[...])
    }
}

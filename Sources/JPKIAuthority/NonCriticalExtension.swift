import SwiftASN1
import X509

/// An X.509 extension this project encodes itself with swift-asn1 (swift-certificates has no
/// type for it): its OID, and the conversions to and from `Certificate.Extension` that every
/// such type shares. Always written non-critical, as RFC 5280 recommends for both users.
public protocol NonCriticalExtension: CertificateExtensionConvertible, DERImplicitlyTaggable {
    static var oid: ASN1ObjectIdentifier { get }
}

extension NonCriticalExtension {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// Reads the extension's value, refusing an extension with another OID.
    public init(_ ext: Certificate.Extension) throws {
        guard ext.oid == Self.oid else {
            throw CertificateError.incorrectOIDForExtension(reason: "Expected \(Self.oid), got \(ext.oid)")
        }
        try self.init(derEncoded: ext.value)
    }

    public func makeCertificateExtension() throws -> Certificate.Extension {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return Certificate.Extension(oid: Self.oid, critical: false, value: serializer.serializedBytes[...])
    }
}

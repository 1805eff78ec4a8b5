import SwiftASN1
import X509

/// id-pkix-ocsp-nocheck, RFC 6960 §4.2.2.2.1: a client need not check the revocation status
/// of the responder certificate that carries it. The value is NULL. The responder certificate
/// lives days, not years, so this is safe: a compromised responder key expires soon.
public struct OCSPNoCheck: CertificateExtensionConvertible, Sendable {
    public static let oid: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 5]

    public init() {}

    public func makeCertificateExtension() throws -> Certificate.Extension {
        Certificate.Extension(oid: Self.oid, critical: false, value: [0x05, 0x00])
    }
}

import Foundation
import JPKIProfile
import X509

/// Self-signed CA certificates shaped like the J-LIS roots: RSA-2048 with
/// sha256WithRSAEncryption, `C=JP, O=JPKI, OU=<purpose>, OU=<operator>`, a ten-year life ending
/// at 23:59:59 JST, keyCertSign+cRLSign and CA:TRUE (both critical), a subjectKeyIdentifier, and a
/// cRLDistributionPoints naming the CA's own DN: the authority revocation list (ARL) for CA
/// certificates, with its HTTP URI beside it.
public enum CACertificateFactory {
    public static let lifetimeYears = 10

    /// The subject of a CA. Development CAs carry `DEVELOPMENT` in the operator unit, so that no
    /// one mistakes a certificate from them for a real one.
    public static func subject(for ca: CertificateAuthorityID, operatorName: String, development: Bool) throws -> DistinguishedName {
        try DistinguishedName {
            CountryName("JP")
            OrganizationName("JPKI")
            OrganizationalUnitName(ca.purposeUnit)
            OrganizationalUnitName(development ? "DEVELOPMENT ONLY - \(operatorName)" : operatorName)
        }
    }

    public static func selfSigned(ca: CertificateAuthorityID, operatorName: String, development: Bool,
                                  key: Certificate.PrivateKey, publication: PublicationPoints,
                                  now: Date = Date()) throws -> Certificate {
        let name = try subject(for: ca, operatorName: operatorName, development: development)
        let today = JapanStandardTime.date(of: now)
        let lastDay = today.anniversary(in: today.year + lifetimeYears)
        let arl = DistributionPoint(fullName: [.directoryName(name), .uniformResourceIdentifier(publication.arl(ca))])
        return try Certificate(
            version: .v3,
            serialNumber: SerialNumberGenerator.next(),
            publicKey: key.publicKey,
            // X.509 times have whole seconds: truncate, so that certificates issued in the same
            // second do not appear to start before their CA.
            notValidBefore: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)),
            notValidAfter: JapanStandardTime.endOfDay(lastDay),
            issuer: name,
            subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
                CRLDistributionPoints([arl])
            },
            issuerPrivateKey: key
        )
    }
}

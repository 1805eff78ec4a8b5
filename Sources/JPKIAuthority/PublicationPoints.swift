import Foundation

/// The URLs written into certificates: where the OCSP responder, the CA certificates and the
/// CRL partitions are published. All hang off one public base URL so that the service can move
/// behind a reverse proxy by changing one setting.
public struct PublicationPoints: Sendable, Hashable {
    public let baseURL: String

    public init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    /// The OCSP responder (RFC 6960), one for every CA: the CertID names the issuer.
    public var ocsp: String { "\(baseURL)/ocsp" }

    /// The CA certificate in DER, for authorityInfoAccess caIssuers (RFC 5280 §4.2.2.1).
    public func caCertificate(_ ca: CertificateAuthorityID) -> String {
        "\(baseURL)/ca/\(ca.prefecture)/\(ca.kind).der"
    }

    /// A CRL partition's file, under the layout of `crl/`.
    public func crl(_ partition: CRLPartition) -> String {
        "\(baseURL)/crl/\(partition.ca.prefecture)/\(partition.ca.kind)/\(partition.id).crl"
    }

    /// A CRL partition's delta CRL (RFC 5280 §5.2.4), beside its full CRL.
    public func deltaCRL(_ partition: CRLPartition) -> String {
        "\(baseURL)/crl/\(partition.ca.prefecture)/\(partition.ca.kind)/\(partition.id)-delta.crl"
    }

    /// The authority revocation list of a CA (covers CA certificates only).
    public func arl(_ ca: CertificateAuthorityID) -> String {
        "\(baseURL)/crl/\(ca.prefecture)/\(ca.kind)/arl.crl"
    }
}

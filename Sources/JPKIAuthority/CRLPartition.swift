import Crypto
import JPKIProfile
import X509

/// The CRL a certificate's revocation will be published in, fixed at issuance and written into
/// its cRLDistributionPoints (RFC 5280 §4.2.1.13).
///
/// Signing certificates are partitioned by municipality, as in the real service, and large
/// municipalities are split further into shards. User-authentication certificates are
/// partitioned only by a hash shard, so that the partition reveals nothing about where the
/// holder lives. The shard is taken from a hash of the (random) serial number.
public struct CRLPartition: Sendable, Hashable, CustomStringConvertible {
    public enum Scope: Sendable, Hashable {
        /// A municipality's signing certificates, or one shard of them.
        case municipality(MunicipalityCode, shard: Int, shardCount: Int)
        /// One hash shard of a CA's user-authentication certificates.
        case hashShard(Int)
    }

    public let ca: CertificateAuthorityID
    public let scope: Scope

    public init(ca: CertificateAuthorityID, scope: Scope) {
        self.ca = ca
        self.scope = scope
    }

    /// The partition a new certificate with `serial` falls into.
    public static func assign(ca: CertificateAuthorityID, serial: Certificate.SerialNumber,
                              municipality: MunicipalityCode, municipalityShards: Int,
                              userAuthenticationShards: Int) -> CRLPartition {
        switch ca.kind {
        case .signing:
            let shard = municipalityShards > 1 ? bucket(serial, count: municipalityShards) : 0
            return CRLPartition(ca: ca, scope: .municipality(municipality, shard: shard, shardCount: municipalityShards))
        case .userAuthentication:
            return CRLPartition(ca: ca, scope: .hashShard(bucket(serial, count: userAuthenticationShards)))
        }
    }

    static func bucket(_ serial: Certificate.SerialNumber, count: Int) -> Int {
        let digest = Array(SHA256.hash(data: Array(serial.bytes)))
        let value = digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Int(value % UInt32(max(count, 1)))
    }

    /// The stable name of the partition within its CA: `131016`, `131130-s03` or `s07`. Used as
    /// the file name of the CRL and stored with every certificate.
    public var id: String {
        switch scope {
        case .municipality(let code, let shard, let count):
            count > 1 ? "\(code)-s\(twoDigits(shard))" : "\(code)"
        case .hashShard(let shard):
            "s\(twoDigits(shard))"
        }
    }

    public var description: String { "\(ca)/\(id)" }

    private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// The directoryName of the partition, of the form the real service uses:
    /// `C=JP, O=JPKI, OU=JPKI for digital signature, OU=CRL Distribution Points, OU=<prefecture>,
    /// CN=<municipality>`. A sharded municipality moves to an OU and the shard becomes the CN;
    /// user-authentication partitions name only the prefecture, as their issuer already does.
    public func directoryName(prefectureName: String, municipalityName: String?) throws -> DistinguishedName {
        try DistinguishedName {
            CountryName("JP")
            OrganizationName("JPKI")
            OrganizationalUnitName(ca.purposeUnit)
            OrganizationalUnitName("CRL Distribution Points")
            switch scope {
            case .municipality(_, let shard, let count):
                OrganizationalUnitName(prefectureName)
                if count > 1 {
                    OrganizationalUnitName(municipalityName ?? "")
                    CommonName("Shard \(twoDigits(shard))")
                } else {
                    CommonName(municipalityName ?? "")
                }
            case .hashShard(let shard):
                // The prefecture is no secret (the issuing CA is the prefecture's); the place
                // within it is.
                OrganizationalUnitName(prefectureName)
                CommonName("Shard \(twoDigits(shard))")
            }
        }
    }

    /// The distribution point as certificates and the partition's CRL name it: the directoryName
    /// and the HTTP URI of the same CRL.
    public func distributionPoint(prefectureName: String, municipalityName: String?,
                                  publication: PublicationPoints) throws -> DistributionPoint {
        DistributionPoint(fullName: [
            .directoryName(try directoryName(prefectureName: prefectureName, municipalityName: municipalityName)),
            .uniformResourceIdentifier(publication.crl(self)),
        ])
    }
}

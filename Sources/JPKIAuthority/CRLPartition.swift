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
        /// A municipality's signing certificates, or one shard of them (`nil` if unsharded).
        case municipality(MunicipalityCode, shard: Int?)
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
            let shard = municipalityShards > 1 ? bucket(serial, count: municipalityShards) : nil
            return CRLPartition(ca: ca, scope: .municipality(municipality, shard: shard))
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
        case .municipality(let code, let shard?):
            "\(code)-s\(Self.twoDigits(shard))"
        case .municipality(let code, nil):
            "\(code)"
        case .hashShard(let shard):
            "s\(Self.twoDigits(shard))"
        }
    }

    public var description: String { "\(ca)/\(id)" }

    /// The partition an ``id`` names, as stored with certificates; `nil` if it names none of `ca`.
    public init?(ca: CertificateAuthorityID, id: String) {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        // `s07`, `s123`: parsed, then written again, so that only the canonical id is accepted.
        func shard(_ text: Substring) -> Int? {
            guard text.first == "s", let n = Int(text.dropFirst()), (0..<256).contains(n),
                  "s\(Self.twoDigits(n))" == text else { return nil }
            return n
        }
        switch (ca.kind, parts.count) {
        case (.userAuthentication, 1):
            guard let n = shard(parts[0]) else { return nil }
            self.init(ca: ca, scope: .hashShard(n))
        case (.signing, 1), (.signing, 2):
            guard let code = try? MunicipalityCode(validating: String(parts[0])), code.prefecture == ca.prefecture else { return nil }
            if parts.count == 1 {
                self.init(ca: ca, scope: .municipality(code, shard: nil))
            } else {
                guard let n = shard(parts[1]) else { return nil }
                self.init(ca: ca, scope: .municipality(code, shard: n))
            }
        default:
            return nil
        }
    }

    /// The municipality whose certificates the partition holds, for a signing partition.
    public var municipality: MunicipalityCode? {
        if case .municipality(let code, _) = scope { code } else { nil }
    }

    /// At least two digits: `07`, `12`, `123`.
    static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

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
            case .municipality(_, let shard):
                OrganizationalUnitName(prefectureName)
                if let shard {
                    OrganizationalUnitName(municipalityName ?? "")
                    CommonName("Shard \(Self.twoDigits(shard))")
                } else {
                    CommonName(municipalityName ?? "")
                }
            case .hashShard(let shard):
                // The prefecture is no secret (the issuing CA is the prefecture's); the place
                // within it is.
                OrganizationalUnitName(prefectureName)
                CommonName("Shard \(Self.twoDigits(shard))")
            }
        }
    }

    /// The distribution point as certificates and the partition's CRL name it: the directoryName
    /// and the HTTP URI of the same CRL. Its delta CRL names the same point (RFC 5280 §5.2.4: the
    /// same scope); certificates find the delta through freshestCRL, ``deltaDistributionPoint(publication:)``.
    public func distributionPoint(prefectureName: String, municipalityName: String?,
                                  publication: PublicationPoints) throws -> DistributionPoint {
        DistributionPoint(fullName: [
            .directoryName(try directoryName(prefectureName: prefectureName, municipalityName: municipalityName)),
            .uniformResourceIdentifier(publication.crl(self)),
        ])
    }

    /// Where the partition's delta CRL is published: freshestCRL in certificates and full CRLs.
    public func deltaDistributionPoint(publication: PublicationPoints) -> DistributionPoint {
        DistributionPoint(fullName: [.uniformResourceIdentifier(publication.deltaCRL(self))])
    }
}

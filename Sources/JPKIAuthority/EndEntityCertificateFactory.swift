import Foundation
import JPKIProfile
import Synchronization
import X509

/// What a resident's certificate says: everything the factory needs, decided by the RA.
public struct EndEntityContent: Sendable {
    public var kind: CertificateKind
    public var serialNumber: Certificate.SerialNumber
    public var publicKey: Certificate.PublicKey
    public var notBefore: Date
    public var notAfter: Date
    /// The opaque subject CN: random, never derived from the resident code or the name.
    public var opaqueID: String
    /// The four items; required for, and only allowed in, signing certificates.
    public var fourItems: BasicFourItems?
    public var prefectureName: String
    public var municipalityName: String
    public var partition: CRLPartition

    public init(kind: CertificateKind, serialNumber: Certificate.SerialNumber, publicKey: Certificate.PublicKey,
                notBefore: Date, notAfter: Date, opaqueID: String, fourItems: BasicFourItems?,
                prefectureName: String, municipalityName: String, partition: CRLPartition) {
        self.kind = kind
        self.serialNumber = serialNumber
        self.publicKey = publicKey
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.opaqueID = opaqueID
        self.fourItems = fourItems
        self.prefectureName = prefectureName
        self.municipalityName = municipalityName
        self.partition = partition
    }

    /// A random opaque identifier for the subject CN: 96 bits from the CSPRNG, as 24 hex digits.
    public static func makeOpaqueID() -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: randomBytes(12).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    }
}

/// Builds and signs the two JPKI end-entity profiles.
///
/// Signing: subject `C=JP, L=<prefecture>, L=<municipality>, CN=<opaque id>`, the four items in
/// subjectAltName, keyUsage digitalSignature+nonRepudiation. User authentication: subject
/// `C=JP, CN=<opaque id>`, no subjectAltName, keyUsage digitalSignature. Both: keyUsage critical,
/// the kind's certificatePolicies OID, AKI and SKI (RFC 5280 §4.2.1.1–2), authorityInfoAccess
/// with OCSP and caIssuers (§4.2.2.1), and the partition's cRLDistributionPoints (§4.2.1.13) and freshestCRL (§4.2.1.15).
/// ``IssuanceCheck`` runs over the content before anything is signed.
public struct EndEntityCertificateFactory: Sendable {
    public let authority: CertificateAuthority
    public let publication: PublicationPoints
    /// The extensions that every certificate of one CRL partition carries alike, encoded the
    /// first time the partition is issued to: encoding them for each certificate was most of
    /// what building one cost besides its signature (docs/BENCHMARKS.md, session 8).
    private let partitionExtensions = PartitionExtensions()

    public init(authority: CertificateAuthority, publication: PublicationPoints) {
        self.authority = authority
        self.publication = publication
    }

    public func subject(for content: EndEntityContent) throws -> DistinguishedName {
        try DistinguishedName {
            CountryName("JP")
            if content.kind == .signing {
                LocalityName(content.prefectureName)
                LocalityName(content.municipalityName)
            }
            CommonName(content.opaqueID)
        }
    }

    public func issue(_ content: EndEntityContent) throws -> Certificate {
        try IssuanceCheck.check(content, authority: authority)
        let shared = try partitionExtensions.extensions(for: PartitionExtensions.Key(content)) {
            try sharedExtensions(for: content)
        }
        var extensions = shared.leading
        extensions.append(try SubjectKeyIdentifier(hash: content.publicKey).makeCertificateExtension())
        extensions += shared.trailing
        if let items = content.fourItems {
            extensions.append(try FourItemsAlternativeName.make(items).makeCertificateExtension())
        }
        return try Certificate(
            version: .v3,
            serialNumber: content.serialNumber,
            publicKey: content.publicKey,
            notValidBefore: content.notBefore,
            notValidAfter: content.notAfter,
            issuer: authority.certificate.subject,
            subject: try subject(for: content),
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions(extensions),
            issuerPrivateKey: authority.privateKey
        )
    }

    /// Everything but the subject key identifier and the four items, in the order certificates
    /// carry them: keyUsage (critical), certificatePolicies, AKI, then SKI, then
    /// authorityInformationAccess, cRLDistributionPoints and freshestCRL.
    private func sharedExtensions(for content: EndEntityContent) throws -> PartitionExtensions.Shared {
        let policy = content.kind == .signing
            ? JPKIObjectIdentifier.signingPolicy : JPKIObjectIdentifier.userAuthenticationPolicy
        let keyUsage = content.kind == .signing
            ? KeyUsage(digitalSignature: true, nonRepudiation: true) : KeyUsage(digitalSignature: true)
        let distributionPoint = try content.partition.distributionPoint(
            prefectureName: content.prefectureName,
            municipalityName: content.kind == .signing ? content.municipalityName : nil,
            publication: publication)
        return PartitionExtensions.Shared(
            leading: [
                try Critical(keyUsage).makeCertificateExtension(),
                try CertificatePolicies([policy]).makeCertificateExtension(),
                try AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier).makeCertificateExtension(),
            ],
            trailing: [
                try AuthorityInformationAccess([
                    .init(method: .ocspServer, location: .uniformResourceIdentifier(publication.ocsp)),
                    .init(method: .issuingCA, location: .uniformResourceIdentifier(publication.caCertificate(authority.id))),
                ]).makeCertificateExtension(),
                try CRLDistributionPoints([distributionPoint]).makeCertificateExtension(),
                try FreshestCRL([content.partition.deltaDistributionPoint(publication: publication)]).makeCertificateExtension(),
            ])
    }
}

/// The encoded extensions shared by the certificates of each CRL partition (and the names the
/// distribution point carries), made once per partition: a CA has a bounded number of them,
/// fixed by its configuration.
final class PartitionExtensions: Sendable {
    struct Key: Hashable {
        let partition: CRLPartition
        let kind: CertificateKind
        let prefectureName: String
        /// Only signing certificates' distribution points name the municipality.
        let municipalityName: String?

        init(_ content: EndEntityContent) {
            partition = content.partition
            kind = content.kind
            prefectureName = content.prefectureName
            municipalityName = content.kind == .signing ? content.municipalityName : nil
        }
    }

    struct Shared: Sendable {
        let leading: [Certificate.Extension]
        let trailing: [Certificate.Extension]
    }

    private let made = Mutex<[Key: Shared]>([:])

    func extensions(for key: Key, make: () throws -> Shared) throws -> Shared {
        if let shared = made.withLock({ $0[key] }) { return shared }
        let shared = try make()
        made.withLock { $0[key] = shared }
        return shared
    }
}

/// The checks every to-be-signed certificate passes before the CA key touches it, in the spirit
/// of Boulder's pre-signing lint: a mistake upstream must not become a signed certificate.
public enum IssuanceCheck {
    public static func check(_ content: EndEntityContent, authority: CertificateAuthority) throws {
        func fail(_ reason: String) -> AuthorityError { .lintFailed(reason) }
        guard content.kind == authority.id.kind else { throw fail("a \(content.kind) certificate from the \(authority.id.kind) CA") }
        guard content.partition.ca == authority.id else { throw fail("partition \(content.partition) belongs to another CA") }
        let serial = Array(content.serialNumber.bytes)
        guard (8...20).contains(serial.count), serial[0] & 0x80 == 0 else { throw fail("serial must be positive, 8 to 20 octets") }
        guard content.notBefore < content.notAfter else { throw fail("notAfter is not after notBefore") }
        guard content.notAfter <= authority.certificate.notValidAfter else { throw fail("validity outlives the CA certificate") }
        guard content.notBefore >= authority.certificate.notValidBefore else { throw fail("validity starts before the CA certificate") }
        switch content.kind {
        case .signing:
            guard content.fourItems != nil else { throw fail("a signing certificate must carry the four items") }
        case .userAuthentication:
            guard content.fourItems == nil else { throw fail("a user-authentication certificate must carry none of the four items") }
        }
        guard content.opaqueID.utf8.count == 24, content.opaqueID.isASCIIHexadecimal else {
            throw fail("subject CN must be an opaque 24-hex-digit identifier")
        }
    }
}

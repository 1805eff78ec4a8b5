import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIProfile
import JPKIStore
import Logging
import SwiftASN1
import X509

/// A certificate issued by one enrollment.
public struct IssuedCertificate: Sendable {
    public let kind: CertificateKind
    public let ca: CertificateAuthorityID
    public let certificate: Certificate
    public let der: [UInt8]
    public let partition: CRLPartition
    /// The resident's previous certificate of the same kind, now linked to this one: superseded
    /// by this issuance, or already revoked by a change notice.
    public let supersedes: Supersession?

    /// The serial as lowercase hex: the form used in URLs and the store.
    public var serialHex: String { certificate.serialNumber.hex }
}

extension Certificate.SerialNumber {
    /// Lowercase hex of the serial's octets.
    public var hex: String { bytes.lowercaseHex }
}

/// The registration authority (RA): turns a desk's application into certificates.
///
/// The order matters. Everything that can refuse the application runs first and writes nothing;
/// then each certificate is built, checked and signed; then all of them, the supersession of the
/// resident's previous certificates and the audit entries commit in one transaction. If that
/// transaction fails, the signed certificates are discarded, never published, and the desk is
/// told so: nothing is acknowledged that was not committed.
public struct EnrollmentService: Sendable {
    public let configuration: Configuration
    public let authorities: AuthorityRegistry
    public let database: CertificateDatabase
    let hasher: ResidentCodeHasher
    let validator: ApplicationValidator
    let logger: Logger

    public init(configuration: Configuration, authorities: AuthorityRegistry, database: CertificateDatabase,
                hasher: ResidentCodeHasher, logger: Logger) {
        self.configuration = configuration
        self.authorities = authorities
        self.database = database
        self.hasher = hasher
        self.validator = ApplicationValidator(configuration: configuration)
        self.logger = logger
    }

    public func enroll(_ application: EnrollmentApplication, by requester: Operator,
                       now: Date = Date()) async throws -> [IssuedCertificate] {
        let validated = try validator.validate(application, requester: requester, today: JapanStandardTime.date(of: now))
        return try await issue(validated, by: requester, now: now)
    }

    /// Signs and records the certificates of a validated application.
    public func issue(_ application: ValidatedApplication, by requester: Operator,
                      now: Date = Date()) async throws -> [IssuedCertificate] {
        let residentHash = hasher.hash(application.residentCode)
        var attempt = 1
        while true {
            let renewing = try database.currentExpiries(residentHash: residentHash, at: now)
            var signed: [(CertificateRecord, IssuedCertificate)] = []
            for kind in application.kinds {
                signed.append(try sign(kind, for: application, residentHash: residentHash,
                                       renewing: renewing[kind], by: requester, now: now))
            }
            do {
                let supersessions = try await database.recordIssuance(signed.map(\.0), fourItems: application.fourItems,
                                                                      actor: requester.id, at: now)
                let issued = signed.map { _, cert in
                    IssuedCertificate(kind: cert.kind, ca: cert.ca, certificate: cert.certificate, der: cert.der,
                                      partition: cert.partition,
                                      supersedes: supersessions.first { $0.successorSerial == cert.serialHex && $0.revoked }
                                          ?? supersessions.first { $0.successorSerial == cert.serialHex })
                }
                for cert in issued {
                    logger.info("certificate issued", metadata: [
                        "ca": "\(cert.ca)", "serial": "\(cert.serialHex)", "partition": "\(cert.partition.id)",
                        "operator": "\(requester.id)", "supersedes": "\(cert.supersedes?.serial ?? "-")",
                    ])
                }
                return issued
            } catch StoreError.duplicateSerial(let ca, let serial) where attempt < 3 {
                // 126 random bits make this all but impossible; the signed duplicates are dropped.
                logger.warning("serial collision, signing again", metadata: ["ca": "\(ca)", "serial": "\(serial)"])
                attempt += 1
            }
        }
    }

    func sign(_ kind: CertificateKind, for application: ValidatedApplication, residentHash: Data, renewing: Date?,
              by requester: Operator, now: Date) throws -> (CertificateRecord, IssuedCertificate) {
        let caID = CertificateAuthorityID(prefecture: application.prefecture.code, kind: kind)
        guard let factory = authorities.factory(for: caID) else {
            throw AuthorityError.notInitialised(path: "CA \(caID)")
        }
        let serial = SerialNumberGenerator.next()
        let partition = CRLPartition.assign(
            ca: caID, serial: serial, municipality: application.municipality.code,
            municipalityShards: application.municipality.shardCount,
            userAuthenticationShards: configuration.service.userAuthenticationCRLShards)
        let notBefore = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        // A certificate never outlives its CA (RFC 5280 §6.1.3 would reject the tail anyway): the
        // profile's end is cut to the CA's, until CA key rollover issues from a newer generation.
        let notAfter = min(factory.authority.certificate.notValidAfter,
                           CertificateLifetime.notAfter(issuance: now, born: application.fourItems.dateOfBirth,
                                                        cardExpiry: application.cardExpiry, renewing: renewing))
        let content = EndEntityContent(
            kind: kind, serialNumber: serial, publicKey: application.keys[kind]!, notBefore: notBefore,
            notAfter: notAfter, opaqueID: EndEntityContent.makeOpaqueID(),
            fourItems: kind.carriesFourItems ? application.fourItems : nil,
            prefectureName: application.prefecture.name, municipalityName: application.municipality.name,
            partition: partition)
        let certificate = try factory.issue(content)
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        let record = CertificateRecord(
            ca: caID.description, serial: serial.hex, kind: kind, municipality: application.municipality.code,
            partition: partition.id, residentHash: residentHash, notBefore: notBefore, notAfter: notAfter,
            issuedAt: now, issuedBy: requester.id, der: Data(der))
        return (record, IssuedCertificate(kind: kind, ca: caID, certificate: certificate, der: der,
                                          partition: partition, supersedes: nil))
    }
}

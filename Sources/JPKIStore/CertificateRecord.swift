import Foundation
import JPKIProfile

/// Where a certificate stands.
///
/// `suspended` is a hold (RFC 5280 §5.3.1 certificateHold): the card was reported lost and the
/// certificate may yet be resumed (back to `valid`) or revoked. `revoked` is final.
public enum CertificateStatus: String, Sendable, Codable {
    case valid
    case suspended
    case revoked
}

/// A certificate as the store keeps it.
public struct CertificateRecord: Sendable, Equatable {
    /// The issuing CA, as `13/signing`.
    public var ca: String
    /// Lowercase hex of the serial's DER integer content.
    public var serial: String
    public var kind: CertificateKind
    public var municipality: MunicipalityCode
    public var partition: String
    public var residentHash: Data
    public var notBefore: Date
    public var notAfter: Date
    public var issuedAt: Date
    public var issuedBy: String
    public var status: CertificateStatus
    public var revokedAt: Date?
    public var revocationReason: RevocationReason?
    public var successorCA: String?
    public var successorSerial: String?
    public var der: Data

    public init(ca: String, serial: String, kind: CertificateKind, municipality: MunicipalityCode, partition: String,
                residentHash: Data, notBefore: Date, notAfter: Date, issuedAt: Date, issuedBy: String, der: Data) {
        self.ca = ca
        self.serial = serial
        self.kind = kind
        self.municipality = municipality
        self.partition = partition
        self.residentHash = residentHash
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.issuedAt = issuedAt
        self.issuedBy = issuedBy
        self.status = .valid
        self.der = der
    }
}

/// A certificate that an issuance linked to its successor: superseded (revoked with reason
/// `superseded` by this issuance) or, if a change notice had already revoked it, only linked.
public struct Supersession: Sendable, Equatable {
    public let ca: String
    public let serial: String
    public let successorCA: String
    public let successorSerial: String
    /// Whether this issuance revoked it; `false` for a certificate that was already revoked.
    public let revoked: Bool
}

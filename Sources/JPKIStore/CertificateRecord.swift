import Foundation
import JPKIProfile

/// Where a certificate stands. Holds (suspension) arrive with the revocation work.
public enum CertificateStatus: String, Sendable, Codable {
    case valid
    case revoked
}

/// CRLReason codes of RFC 5280 §5.3.1, as the real service uses them.
public enum RevocationReason: Int, Sendable, Codable, CaseIterable {
    case unspecified = 0
    case keyCompromise = 1
    case cACompromise = 2
    case affiliationChanged = 3
    case superseded = 4
    case cessationOfOperation = 5
    case certificateHold = 6
    case removeFromCRL = 8

    public var name: String {
        switch self {
        case .unspecified: "unspecified"
        case .keyCompromise: "keyCompromise"
        case .cACompromise: "cACompromise"
        case .affiliationChanged: "affiliationChanged"
        case .superseded: "superseded"
        case .cessationOfOperation: "cessationOfOperation"
        case .certificateHold: "certificateHold"
        case .removeFromCRL: "removeFromCRL"
        }
    }
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

/// A certificate that an issuance superseded: revoked with reason `superseded` and linked to its successor.
public struct Supersession: Sendable, Equatable {
    public let ca: String
    public let serial: String
    public let successorCA: String
    public let successorSerial: String
}

import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIStore
import Logging

/// Holders' requests about their own certificates, made through a desk or the call centre:
/// suspend at once (card lost), resume (card found), revoke (lost for good, or no longer wanted).
///
/// Who may do what:
/// - a desk operator: all three, for certificates issued in its own municipality;
/// - the call centre: suspend only, any certificate (lost cards are reported at any hour);
/// - an administrator: all three, anywhere, and the bulk revocations of ``BulkRevocation``.
public struct HolderRequests: Sendable {
    let database: CertificateDatabase
    let logger: Logger

    public init(database: CertificateDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Revocation reasons a holder's request may give: lost for good (`keyCompromise`: the key
    /// on the card is out of the holder's control) or no longer wanted (`cessationOfOperation`).
    public static let holderReasons: [RevocationReason] = [.keyCompromise, .cessationOfOperation]

    /// What an administrator may give besides: a compromised CA key (`cACompromise`) and contents
    /// found wrong (`affiliationChanged`). Holds, supersession and `removeFromCRL` have their own paths.
    public static let administratorReasons: [RevocationReason] = holderReasons + [.cACompromise, .affiliationChanged]

    /// Applies `change` to the certificate `serial` of `ca` for `requester`.
    public func change(_ change: StatusChange, ca: CertificateAuthorityID, serial: String, by requester: Operator,
                       now: Date = Date()) async throws -> CertificateRecord {
        try Self.authorize(change, by: requester)
        do {
            let record = try await database.changeStatus(ca: ca.description, serial: serial, change, actor: requester.id,
                                                         at: now) { record in
                if requester.role == .desk, record.municipality != requester.municipality {
                    throw RevocationError(.forbiddenMunicipality, field: nil,
                                          "operator \(requester.id) acts for municipality \(requester.municipality?.value ?? "-") only")
                }
            }
            logger.info("certificate status changed", metadata: [
                "ca": "\(ca)", "serial": "\(serial)", "status": "\(record.status.rawValue)",
                "reason": "\(record.revocationReason?.name ?? "-")", "operator": "\(requester.id)",
            ])
            return record
        } catch StoreError.unknownCertificate {
            throw RevocationError(.unknownCertificate, field: "serial", "\(ca) issued no certificate \(serial)")
        } catch StoreError.transitionNotAllowed(_, let status) {
            let why = status == .revoked ? "it is revoked and can change no more"
                : status == .valid ? "it is not suspended" : "it is already suspended"
            throw RevocationError(.transitionNotAllowed, field: nil, "certificate \(serial) cannot be changed so: \(why)")
        }
    }

    static func authorize(_ change: StatusChange, by requester: Operator) throws(RevocationError) {
        switch (requester.role, change) {
        case (.administrator, _), (.desk, _), (.callCentre, .hold):
            break
        case (.callCentre, _):
            throw RevocationError(.roleNotPermitted, field: nil, "the call centre may suspend certificates, nothing else")
        case (.registryFeed, _):
            throw RevocationError(.roleNotPermitted, field: nil, "the registry feed delivers change notices, nothing else")
        }
        if case .revoke(let reason) = change {
            let allowed = requester.role == .administrator ? administratorReasons : holderReasons
            guard allowed.contains(reason) else {
                throw RevocationError(.invalidReason, field: "reason",
                                      "the reason is one of \(allowed.map(\.name).joined(separator: ", "))")
            }
        }
    }
}

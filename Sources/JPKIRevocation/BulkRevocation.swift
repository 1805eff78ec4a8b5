import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIProfile
import JPKIStore
import Logging

/// An administrator's revocations of many certificates at once.
public struct BulkRevocation: Sendable {
    let database: CertificateDatabase
    let logger: Logger

    public init(database: CertificateDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Revokes every valid or suspended certificate of `ca` with `cACompromise`: what a
    /// compromise of the CA's key calls for. One transaction, one audit entry with the count.
    public func revokeEverything(of ca: CertificateAuthorityID, by requester: Operator,
                                 now: Date = Date()) async throws -> Int {
        try Self.requireAdministrator(requester)
        let count = try await database.revokeAll(ca: ca.description, reason: .cACompromise, actor: requester.id, at: now)
        logger.critical("every certificate of a CA revoked", metadata: [
            "ca": "\(ca)", "count": "\(count)", "operator": "\(requester.id)",
        ])
        return count
    }

    /// Revokes the listed serials of `ca` with `reason`, in one transaction. Blank lines are
    /// ignored; a line that is not a serial in hexadecimal refuses the whole list, naming the line,
    /// before anything is revoked.
    public func revoke(serialList text: String, of ca: CertificateAuthorityID, reason: RevocationReason,
                       by requester: Operator, now: Date = Date()) async throws -> [(serial: String, result: CertificateDatabase.BulkRevocationResult)] {
        try Self.requireAdministrator(requester)
        guard HolderRequests.administratorReasons.contains(reason) else {
            throw RevocationError(.invalidReason, field: "reason",
                                  "the reason is one of \(HolderRequests.administratorReasons.map(\.name).joined(separator: ", "))")
        }
        var serials: [String] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let serial = line.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()  // CRLF files too
            if serial.isEmpty || serial.hasPrefix("#") { continue }
            guard serial.utf8.count <= 40, serial.isASCIIHexadecimal else {
                throw RevocationError(.invalidSerial, field: "line \(index + 1)", "\"\(serial)\" is not a serial in hexadecimal")
            }
            serials.append(serial)
        }
        let results = try await database.revoke(serials: serials, ca: ca.description, reason: reason,
                                                actor: requester.id, at: now)
        logger.notice("certificates revoked from a list", metadata: [
            "ca": "\(ca)", "listed": "\(serials.count)", "operator": "\(requester.id)",
            "revoked": "\(results.filter { $0 == .revoked }.count)",
        ])
        return Array(zip(serials, results)).map { (serial: $0.0, result: $0.1) }
    }

    static func requireAdministrator(_ requester: Operator) throws(RevocationError) {
        guard requester.role == .administrator else {
            throw RevocationError(.roleNotPermitted, field: nil, "only an administrator revokes in bulk")
        }
    }
}

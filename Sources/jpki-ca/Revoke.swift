import ArgumentParser
import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIRevocation
import JPKIStore
import Logging

struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An administrator's bulk revocations.", subcommands: [Everything.self, Serials.self])

    struct Everything: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "all",
            abstract: "Revoke every certificate of one CA with reason cACompromise (its key is compromised).")

        @OptionGroup var options: ServiceOptions

        @Option(help: "The CA, as 13/signing or 13/user-authentication.")
        var ca: String

        @Option(help: "The CA again, to confirm: this cannot be undone.")
        var confirm: String

        @Option(name: .customLong("operator"), help: "The id of the administrator acting.")
        var operatorID: String

        func run() async throws {
            guard confirm == ca else { throw CommandFailure("--confirm must repeat --ca exactly") }
            let logger = Logger(label: "jpki-ca")
            let runtime = try options.openRuntime(logger: logger)
            let id = try authority(ca, in: runtime)
            let requester = try administrator(operatorID, in: runtime)
            let count = try await BulkRevocation(database: runtime.database, logger: logger)
                .revokeEverything(of: id, by: requester)
            print("\(count) certificates of \(id) revoked (cACompromise)")
        }
    }

    struct Serials: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke the serials listed in a file, one hexadecimal serial per line.")

        @OptionGroup var options: ServiceOptions

        @Argument(help: "The file of serials.")
        var file: String

        @Option(help: "The CA, as 13/signing or 13/user-authentication.")
        var ca: String

        @Option(help: "keyCompromise, cessationOfOperation, cACompromise or affiliationChanged.")
        var reason: String

        @Option(name: .customLong("operator"), help: "The id of the administrator acting.")
        var operatorID: String

        func run() async throws {
            let logger = Logger(label: "jpki-ca")
            let runtime = try options.openRuntime(logger: logger)
            let id = try authority(ca, in: runtime)
            let requester = try administrator(operatorID, in: runtime)
            guard let reason = RevocationReason(name: reason) else { throw CommandFailure("unknown reason \(reason)") }
            let results: [(serial: String, result: CertificateDatabase.BulkRevocationResult)]
            do {
                results = try await BulkRevocation(database: runtime.database, logger: logger).revoke(
                    serialList: try String(contentsOfFile: file, encoding: .utf8), of: id, reason: reason, by: requester)
            } catch let error as RevocationError {
                throw CommandFailure("refused: \(error)")
            }
            for (serial, result) in results {
                switch result {
                case .revoked: print("\(serial) revoked")
                case .alreadyRevoked(let earlier): print("\(serial) already revoked (\(earlier?.name ?? "-")): unchanged")
                case .unknown: print("\(serial) unknown to \(id): skipped")
                }
            }
        }
    }
}

func authority(_ text: String, in runtime: ServiceRuntime) throws -> CertificateAuthorityID {
    guard let id = CertificateAuthorityID(text), runtime.authorities.authority(for: id) != nil else {
        throw CommandFailure("no CA \(text) here; CAs are named like 13/signing")
    }
    return id
}

func administrator(_ id: String, in runtime: ServiceRuntime) throws -> Operator {
    guard let found = runtime.configuration.service.operators.first(where: { $0.id == id }), found.role == .administrator else {
        throw CommandFailure("no administrator \(id) in service.yaml")
    }
    return found
}

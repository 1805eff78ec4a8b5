import ArgumentParser
import Foundation
import JPKIEnrollment
import JPKIStore

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the hash-chained audit log.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry's hash chain; name the first broken entry and exit 1 if there is one.")

        @OptionGroup var options: ServiceOptions

        func run() throws {
            let configuration = try options.loadConfiguration()
            let path = ServiceRuntime.databasePath(in: options.dataDirectory(configuration))
            guard FileManager.default.fileExists(atPath: path) else { throw CommandFailure("no database at \(path)") }
            switch try CertificateDatabase(path: path).verifyAuditLog() {
            case .intact(let entries):
                print("audit log intact: \(entries) entries")
            case .broken(let sequence, let reason):
                print("audit log BROKEN at entry \(sequence): \(reason)")
                throw ExitCode(1)
            }
        }
    }
}

import ArgumentParser
import Foundation
import JPKIAuthority
import JPKIPublication
import Logging

struct CRL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crl", abstract: "Certificate revocation lists.", subcommands: [Publish.self])

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish the CRLs that are due now (missing, near nextUpdate, or changed: deltas) into the CRL directory.")

        @OptionGroup var options: ServiceOptions

        @Flag(help: "Regenerate every full CRL, delta and ARL, due or not.")
        var full = false

        @Option(help: "Only this CA, as 13/signing (repeatable): with --full, a full regeneration of one CA.")
        var ca: [String] = []

        @Flag(help: "Print the report as one JSON object, with the time taken and the peak resident memory.")
        var json = false

        func run() async throws {
            let logger = Logger(label: "jpki-ca")
            let configuration = try options.loadConfiguration()
            let runtime = try options.openRuntime(logger: logger)
            let root = options.crlRoot(configuration)
            let started = ContinuousClock.now
            var only: Set<CertificateAuthorityID>?
            if !ca.isEmpty {
                only = Set(try ca.map { text in
                    guard let id = CertificateAuthorityID(text), runtime.authorities.authority(for: id) != nil else {
                        throw CommandFailure("--ca \(text): no such CA; try 13/signing or 13/user-authentication")
                    }
                    return id
                })
            }
            let report = await CRLPublisher(runtime: runtime, root: root, logger: logger).publish(everything: full, only: only)
            let elapsed = ContinuousClock.now - started
            if json {
                struct Printed: Encodable {
                    let full, delta, arl, entries, bytes: Int
                    let failures: [String]
                    let seconds: Double
                    let peakResidentBytes: Int
                }
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print(String(decoding: try JSONEncoder().encode(Printed(
                    full: report.full, delta: report.delta, arl: report.arl, entries: report.entries, bytes: report.bytes,
                    failures: report.failures, seconds: seconds, peakResidentBytes: PeakMemory.residentBytes())), as: UTF8.self))
                if !report.failures.isEmpty { throw ExitCode(1) }
                return
            }
            print("published \(report.full) full CRLs, \(report.delta) deltas, \(report.arl) ARLs: \(report.entries) entries, "
                  + "\(report.bytes) bytes in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds]))) into \(root.path)")
            for failure in report.failures { print("failed: \(failure)") }
            if !report.failures.isEmpty { throw ExitCode(1) }
        }
    }
}

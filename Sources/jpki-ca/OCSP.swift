import ArgumentParser
import Foundation
import JPKIPublication
import Logging

struct OCSP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocsp", abstract: "The OCSP responder's pre-signed responses.", subcommands: [Sign.self, Status.self])

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign what is due now: changed statuses, new certificates' first responses, and re-signing. "
                + "Refused while `serve` runs (it signs on its own).")

        @OptionGroup var options: ServiceOptions

        @Flag(help: "Print the report as one JSON object, with the time taken.")
        var json = false

        func run() async throws {
            let logger = Logger(label: "jpki-ca")
            let runtime = try options.openRuntime(logger: logger)
            let ocsp = try OCSPService(runtime: runtime, dataDirectory: options.dataDirectory(runtime.configuration), logger: logger)
            let started = ContinuousClock.now
            let report = try await ocsp.refresher.pass(drain: true)
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if json {
                struct Printed: Encodable {
                    let changed, first, refreshed, expired: Int
                    let seconds: Double
                }
                print(String(decoding: try JSONEncoder().encode(Printed(
                    changed: report.changed, first: report.first, refreshed: report.refreshed, expired: report.expired,
                    seconds: seconds)), as: UTF8.self))
                return
            }
            print("signed \(report.signed) OCSP responses (\(report.changed) changed, \(report.first) first, "
                  + "\(report.refreshed) re-signed), dropped \(report.expired) expired, in "
                  + String(format: "%.2f s", seconds))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How many responses are stored, due and pending.")

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let runtime = try options.openRuntime(logger: Logger(label: "jpki-ca"))
            let counts = try runtime.database.ocspResponseCounts(at: Int64(Date().timeIntervalSince1970))
            print("\(counts.responses) responses stored, \(counts.due) due for re-signing, "
                  + "\(counts.pending) certificates awaiting their first response")
        }
    }
}
